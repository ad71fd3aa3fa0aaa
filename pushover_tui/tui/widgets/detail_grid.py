"""Detail panels (History, Inbox) show a row as labels in a column of their own, each value
wrapped under its own column, in sections."""

from __future__ import annotations

from textual.content import Content

LABEL_WIDTH = 11  # the label column and the gap after it

# A grid row: label and value ("" label: the value alone, under the values).
Row = tuple[str, Content | str]


def grid(rows: list[Row], width: int) -> Content:
    """Labels in a column of their own; each value wrapped to the rest of the width."""
    lines: list[Content] = []
    indent = " " * LABEL_WIDTH
    for label, value in rows:
        text = value if isinstance(value, Content) else Content(value)
        wrapped = text.wrap(max(8, width - LABEL_WIDTH)) or [Content("")]
        head = Content.styled(label[: LABEL_WIDTH - 1].ljust(LABEL_WIDTH), "$foreground-muted")
        lines.append(head + wrapped[0])
        lines += [indent + line for line in wrapped[1:]]
    return Content("\n").join(lines)


def section(title: str) -> Content:
    return Content("\n").join([Content(""), Content.styled(title, "bold underline")])
