"""Reference for the start-up figure: a minimal Textual app (Header, Label, Footer), headless.

Prints READY in on_ready (after the first frame) and exits.
"""

from textual.app import App, ComposeResult
from textual.widgets import Footer, Header, Label


class MinimalApp(App[None]):
    def compose(self) -> ComposeResult:
        yield Header()
        yield Label("Hello")
        yield Footer()

    def on_ready(self) -> None:
        print("READY", flush=True)
        self.exit()


if __name__ == "__main__":
    MinimalApp().run(headless=True, size=(120, 40))
