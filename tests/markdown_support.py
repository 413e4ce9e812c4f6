"""Reading Markdown back with a real CommonMark + GFM-tables parser (markdown-it-py), for tests."""

from markdown_it import MarkdownIt

md = MarkdownIt("commonmark").enable("table")

# The structure of the spec's "Response Format", in order.
SECTION_HEADINGS = [
    (2, "Executive Sponsor Report"),
    (3, "Executive Sponsors"),
    (3, "Primary Sponsor: {primary}"),
    (3, "Engagement Health"),
    (3, "Organizational Intelligence"),
    (3, "Strategic Alignment"),
    (3, "Recommended Actions"),
    (3, "Engagement Calendar"),
]
BOLD_LABELS = [
    "Profile", "Engagement Timeline", "Engagement Score Breakdown", "Strengths", "Concerns",
    "Recent Changes", "Succession Risk", "Immediate (This Week)", "Short-Term (This Quarter)",
    "Strategic (Long-Term)",
]
TABLE_COLUMNS = {
    "sponsors": ("Name", "Title", "Engagement", "Last Touch", "Status"),
    "timeline": ("Date", "Interaction", "Topics", "Outcome"),
    "breakdown": ("Factor", "Score", "Notes"),
    "alignment": ("Our Initiative", "Their Priority", "Alignment"),
    "calendar": ("Date", "Event", "Attendees", "Objective"),
}


def inline_text(token) -> str:
    parts = []
    for child in token.children or ():
        if child.type in ("text", "text_special", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append("\n")
    return "".join(parts)


def parse_markdown(text):
    """Headings, bold-only paragraphs and tables (header + rows, cell texts) in document order,
    plus the token types seen (to check no raw HTML got through)."""
    tokens = md.parse(text)
    headings, bold, tables, types = [], [], [], set()
    table = row = None
    for i, tok in enumerate(tokens):
        types.add(tok.type)
        for child in tok.children or ():
            types.add(child.type)
        if tok.type == "heading_open":
            headings.append((int(tok.tag[1]), inline_text(tokens[i + 1])))
        elif tok.type == "inline" and tokens[i - 1].type == "paragraph_open":
            kids = [c for c in tok.children if not (c.type == "text" and not c.content)]
            if [c.type for c in kids] == ["strong_open", "text", "strong_close"]:
                bold.append(kids[1].content)
        elif tok.type == "table_open":
            table = {"header": None, "rows": []}
        elif tok.type == "tr_open":
            row = []
        elif tok.type == "inline" and row is not None:
            row.append(inline_text(tok))
        elif tok.type == "tr_close":
            if table["header"] is None:
                table["header"] = tuple(row)
            else:
                table["rows"].append(tuple(row))
            row = None
        elif tok.type == "table_close":
            tables.append(table)
            table = None
    return headings, bold, tables, types
