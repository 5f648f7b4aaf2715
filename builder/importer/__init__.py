"""Newspaper pages → articles, losing nothing.

The stages, each a module with one job and each pure but the last:

    pagetext (decode, lines) → classify → segment → assemble → markdown → files

`classify` says what each line is (heading, label, byline, dateline'd lead,
caption, photo or editors' credit, text) from the conventions in `conventions`;
`segment` finds where articles start from the page's own structure; `assemble`
builds each article's header stack, byline, date, source and body blocks; `files`
writes them, all or none, with a draft review file for any line no article took.
"""

from .assemble import Block, BlockKind, Header, ImportedArticle, ImportTools
from .conventions import Conventions
from .files import (
                    ImportReport,
                    Outcome,
                    PageResult,
                    PlannedFile,
                    Written,
                    import_pages,
                    load_import_tools,
                    plan_files,
                    read_page,
                    write_planned,
)
from .markdown import article_slug, escape_markdown, to_markdown
from .page import PageImport, split_page

__all__ = ["Block", "BlockKind", "Conventions", "Header", "ImportReport", "ImportTools",
           "ImportedArticle", "Outcome", "PageImport", "PageResult", "PlannedFile", "Written",
           "article_slug", "escape_markdown", "import_pages", "load_import_tools", "plan_files",
           "read_page", "split_page", "to_markdown", "write_planned"]
