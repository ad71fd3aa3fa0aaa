"""The demo's keys and names, importable without the simulator: the dashboard's `--demo` puts
them in its config before its first frame and starts the simulator after it."""

# Documentation example keys: valid out of the box, never live credentials.
DEMO_TOKEN = "azGDORePK8gMaC0QOYAMyEEuzJnyUi"
DEMO_USER = "uQiRzpo4DXghDmr9QzzfQu27cmVRsG"
DEMO_GROUP = "gznej3rKEVAvPUxu9vvNnqpmZpokzF"
DEMO_GROUP_NAME = "ops"
# Two more users for the demo group (made-up keys, shaped like the documentation's).
DEMO_BOB = "uBobPm8Vq2KhYcC9sW3xTy6Ekd5PAg"
DEMO_CAROL = "uCarol4NfRz7LwQ1JdXe8UbMs2HkVt"

DEMO_TEAM_TOKEN = "tDemoTeam7Kq2HcC9sW3xTy6Ekd5PA"  # a Team API token (made up)
DEMO_TEAM_NAME = "Demo team"
DEMO_LICENSE_CREDITS = 5
DEMO_SUBSCRIPTION = "DemoSubscriptionCode4xQ9"  # a subscription code of the demo app
