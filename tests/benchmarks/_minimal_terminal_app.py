"""Reference for the black-box start-up figure: a minimal Textual app (Header, Label, Footer) in a
real terminal, quit with ctrl+q as Textual apps are."""

from textual.app import App, ComposeResult
from textual.widgets import Footer, Header, Label


class MinimalApp(App[None]):
    def compose(self) -> ComposeResult:
        yield Header()
        yield Label("Hello")
        yield Footer()


if __name__ == "__main__":
    MinimalApp().run()
