"""Board reports: a programme's paper, or the Health and Care Professional Leadership Group's
summary of all six, as HTML and PDF in the shape of an NHS board paper (`icsight report`, and
the download on `/programmes/{id}/report.pdf`). `paper` works out the content from the
services' figures; `render` lays it out. docs/reports.md says what each part shows.
"""

from icsight.reports.paper import BoardPaper, build_paper, is_exception
from icsight.reports.render import html_policy, to_html, to_pdf, write_paper

__all__ = ["BoardPaper", "build_paper", "html_policy", "is_exception", "to_html", "to_pdf",
           "write_paper"]
