"""The executive pack laid out as rich text (Qt's HTML subset), one section per page group.

``PackHtml`` turns a ``PackData`` into the HTML that ``pdf_pack`` prints: a cover, then each chosen
section (the same names as the workbook's sheets) starting on a new page. Tables put their header
row in ``<thead>``, which Qt turns into a repeated header row when a table breaks across pages.
Every text from data is escaped, so "=HYPERLINK(...)" or "<b>" in a project name prints as typed.

Table lengths (cell padding and spacing, margins) are written in device pixels of the PDF writer
(``unit`` pixels per point), because Qt's rich text reads them so; images are sized in CSS pixels
(1/96 inch), and fonts in points.
"""

from __future__ import annotations

import datetime as dt
import html
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ...analytics.governance import RULE_TITLES
from ...analytics.resources import OVER_ALLOCATED, worst_gaps
from ...analytics.risks import SCALE, SCALE_WORDS
from ...model import Stage
from ...reports.exec_pack import (
    DEFINITIONS,
    INDEX_FORMAT,
    MONEY_MILLIONS,
    PERCENT_FORMAT,
    kpi_tiles,
    short_money,
)
from ...reports.pack_data import (
    DECISION_WINDOW_DAYS,
    HEATMAP_WEEKS,
    MILESTONE_WINDOW_DAYS,
    OVER_ALLOCATED_MIN_WEEKS,
    PackData,
)
from ...services.raid import ScoreBand
from . import pack_charts

NAVY = "#1F4E79"
GREY = "#595959"
RULE = "#BFBFBF"
STRIPE = "#F4F7FA"
TILE = "#EEF3F8"
RAG_STYLE = {"Red": ("#FFC7CE", "#9C0006"), "Amber": ("#FFEB9C", "#9C5700"), "Green": ("#C6EFCE", "#006100")}
BAND_FILL = {ScoreBand.HIGH: "#F4B183", ScoreBand.MEDIUM: "#FFE699", ScoreBand.LOW: "#C5E0B4"}
_RAG_WORDS = {"R": "Red", "A": "Amber", "G": "Green"}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

BODY_WIDTH_PT = 770.0
"""The text width of an A4 landscape page inside the pack's margins, in points."""
TOP_RISK_ROWS = 40
WORST_PEOPLE_ROWS = 20
IMPORT_ROWS = 15
LIST_ROWS = 100
"""The longest list a PDF section prints (milestones, exceptions, decisions, RAG moves); the workbook has all."""


@dataclass(frozen=True, slots=True)
class Cell:
    """A table cell: its text and, when it carries a band, its fill and text colour."""

    text: str
    fill: str | None = None
    colour: str | None = None
    bold: bool = False


@dataclass(frozen=True, slots=True)
class Col:
    """A table column: its title, its share of the table width (percent) and its alignment."""

    title: str
    width: float
    align: str = "left"


def esc(value: object) -> str:
    """Text from data, safe to print: control characters dropped, markup characters escaped."""
    return html.escape(_CONTROL.sub("", str(value)), quote=True)


def rag_cell(code: str | None) -> Cell:
    """A reported or derived RAG ("R", "A", "G") as a coloured word."""
    word = _RAG_WORDS.get(code or "")
    if word is None:
        return Cell("")
    fill, colour = RAG_STYLE[word]
    return Cell(word, fill, colour, bold=True)


def date_text(value: dt.date | None) -> str:
    return "" if value is None else f"{value:%d %b %Y}"


def index_text(value: float | None) -> str:
    return "" if value is None or not math.isfinite(value) else f"{value:.2f}"


def percent_text(value: float | None) -> str:
    return "" if value is None or not math.isfinite(value) else f"{value:.0%}"


def stage_text(value: str | None) -> str:
    if not value:
        return ""
    try:
        return Stage(value).label
    except ValueError:
        return value


class PackHtml:
    """Builds the pack's HTML and the chart images it refers to (``images``: name -> PNG bytes)."""

    def __init__(self, data: PackData, *, generated: dt.datetime, unit: float):
        self.data = data
        self.generated = generated
        self.unit = unit
        self.images: dict[str, bytes] = {}

    # -- small parts ---------------------------------------------------------------------------
    def px(self, points: float) -> int:
        """``points`` in device pixels."""
        return max(1, round(points * self.unit))

    def money(self, value: float | None) -> str:
        if value is None or not math.isfinite(value):
            return ""
        symbol = self.data.currency_symbol.strip()
        # A minus sign (U+2212), not a hyphen: a line never breaks after it, so "−£2,816,723" stays whole.
        return f"\u2212{symbol}{abs(value):,.0f}" if value < 0 else f"{symbol}{value:,.0f}"

    def title(self, text: str, subtitle: str, *, new_page: bool = True) -> str:
        brk = "page-break-before: always; " if new_page else ""
        return (f'<h1 style="{brk}font-size: 17pt; color: {NAVY}; margin-bottom: {self.px(2)}px">{esc(text)}</h1>'
                f'<p style="font-size: 8.5pt; color: {GREY}; font-style: italic; margin-top: 0">{esc(subtitle)}</p>')

    def heading(self, text: str, *, new_page: bool = False) -> str:
        brk = "page-break-before: always; " if new_page else ""
        return (f'<h2 style="{brk}font-size: 11.5pt; color: {NAVY}; margin-top: {self.px(10)}px; '
                f'margin-bottom: {self.px(4)}px">{esc(text)}</h2>')

    def note(self, text: str) -> str:
        return f'<p style="font-size: 7.5pt; color: {GREY}; font-style: italic">{esc(text)}</p>'

    def cut_note(self, shown: int, total: int, which: str) -> str:
        """"The 100 oldest of 240 …; the workbook lists them all." when a list was cut, else nothing."""
        if shown >= total:
            return ""
        return self.note(f"The {shown:,} {which} of {total:,}; the workbook lists them all.")

    def image(self, name: str, png: bytes, width_pt: float) -> str:
        """An ``<img>`` of ``png`` printed ``width_pt`` points wide."""
        self.images[name] = png
        width, height = pack_charts.scaled(pack_charts.size_in_points(png), width_pt)
        # Qt sizes images in CSS pixels (1/96 inch) whatever the device, unlike table lengths.
        return f'<img src="pack:{name}" width="{round(width * 96 / 72)}" height="{round(height * 96 / 72)}">'

    def side_by_side(self, left: str, right: str, left_share: int = 50) -> str:
        """Two blocks next to each other (a borderless two-cell table)."""
        return (f'<table width="100%" cellspacing="0" cellpadding="0" style="margin-top: {self.px(4)}px"><tr>'
                f'<td width="{left_share}%" valign="top">{left}</td>'
                f'<td width="{100 - left_share}%" valign="top">{right}</td></tr></table>')

    def table(self, columns: Sequence[Col], rows: Iterable[Sequence[str | Cell]], *, empty: str,
              font_pt: float = 7.5, bold_last: bool = False) -> str:
        """A ruled table whose header row repeats on every page it runs onto; ``empty`` when no rows."""
        body = []
        rows = list(rows)
        for i, row in enumerate(rows):
            stripe = STRIPE if i % 2 else None
            bold = bold_last and i == len(rows) - 1
            body.append("<tr>" + "".join(self._td(value, col, stripe, bold)
                                         for value, col in zip(row, columns, strict=True)) + "</tr>")
        if not body:
            return self.note(empty)
        head = "".join(f'<th width="{c.width}%" align="{c.align}" bgcolor="{NAVY}" valign="bottom">'
                       f'<span style="color: #FFFFFF">{esc(c.title)}</span></th>' for c in columns)
        return (f'<table width="100%" border="0.5" cellspacing="0" cellpadding="{self.px(3)}" '
                f'style="border-collapse: collapse; border-color: {RULE}; font-size: {font_pt}pt">'
                f'<thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>')

    def _td(self, value: str | Cell, col: Col, stripe: str | None, bold: bool) -> str:
        cell = value if isinstance(value, Cell) else Cell(value)
        fill = cell.fill or stripe
        attrs = f' align="{col.align}" valign="top"' + (f' bgcolor="{fill}"' if fill else "")
        text = esc(cell.text).replace("\n", "<br>")
        style = []
        if cell.colour:
            style.append(f"color: {cell.colour}")
        if cell.bold or bold:
            style.append("font-weight: bold")
        if style:
            text = f'<span style="{"; ".join(style)}">{text}</span>'
        return f"<td{attrs}>{text}</td>"

    # -- the cover ----------------------------------------------------------------------------
    def cover(self, sections: Sequence[str]) -> str:
        """Title, scope and as-of date, the headline figures at a glance, and the contents.

        The contents' page column is left empty: ``pdf_pack`` draws the numbers in it once the pages are laid out.
        """
        d = self.data
        period = f"Latest status reports: {d.latest_period:%d %B %Y}" if d.latest_period else "No status reports yet"
        return (f'<p style="font-size: 11pt; color: {GREY}">{esc(d.office_name)}</p>'
                f'<h1 style="font-size: 30pt; color: {NAVY}; margin-top: {self.px(4)}px">Executive pack</h1>'
                f'<p style="font-size: 15pt; color: {NAVY}">{esc(d.scope_text)} · as of {d.as_of:%d %B %Y}</p>'
                f'<p style="font-size: 9.5pt; color: {GREY}; margin-top: {self.px(10)}px">{esc(period)}<br>'
                f"Money in {esc(d.currency)} · generated {self.generated:%d %B %Y %H:%M} by PMO Desktop</p>"
                f'<p style="margin-top: {self.px(40)}px"></p>'
                + self.side_by_side(self._at_a_glance(), self._contents(sections), 66)
                + self.note("Colours: green on plan, amber watch, red act; "
                            + ("each figure is defined in the Notes section." if "Notes" in sections
                               else "the workbook's Notes sheet defines each figure.")))

    def _at_a_glance(self) -> str:
        """The headline KPIs, one line each: label, figure (coloured by its band) and what it means."""
        tiles = {tile.label: tile for tile in kpi_tiles(self.data)}

        def figure(label: str) -> str:
            tile = tiles[label]
            colour = RAG_STYLE[tile.rag][1] if tile.rag else NAVY
            return (f'<span style="color: {colour}">'
                    f"{esc(self._tile_value(tile.value, tile.number_format))}</span>")

        budget, forecast = tiles["Budget (BAC)"], tiles["Forecast (EAC)"]
        risks, compliance = tiles["Open high risks"], tiles["Compliance rate"]
        lines = [
            ("Projects", figure("Projects"), tiles["Projects"].note),
            ("Budget vs forecast", f'{figure("Budget (BAC)")} → {figure("Forecast (EAC)")}',
             f"{forecast.note}; {budget.note}"),
            ("SPI / CPI", f'{figure("SPI (schedule)")} / {figure("CPI (cost)")}',
             "schedule / cost; 1.00 is on plan"),
            ("Open high risks", figure("Open high risks"), risks.note),
            ("Compliance", figure("Compliance rate"), compliance.note),
        ]
        rows = "".join(
            f'<tr><td width="26%" valign="middle"><span style="font-size: 9pt; color: {GREY}"><b>{esc(label)}'
            f'</b></span></td><td width="31%" valign="middle"><span style="font-size: 14pt"><b>{value}</b></span>'
            f'</td><td width="43%" valign="middle"><span style="font-size: 8.5pt; color: {GREY}">{esc(note)}'
            "</span></td></tr>" for label, value, note in lines)
        return (self.heading("At a glance")
                + f'<table width="100%" cellspacing="0" cellpadding="{self.px(8)}" bgcolor="{TILE}">{rows}</table>')

    def _contents(self, sections: Sequence[str]) -> str:
        rows = "".join(f'<tr><td width="80%">{esc(name)}</td><td width="20%" align="right"></td></tr>'
                       for name in sections)
        return (f'<div style="margin-left: {self.px(18)}px">{self.heading("Contents")}'
                f'<table width="100%" border="0.5" cellspacing="0" cellpadding="{self.px(3)}" '
                f'style="border-collapse: collapse; border-color: {RULE}; font-size: 10pt">{rows}</table></div>')

    # -- Summary ------------------------------------------------------------------------------
    def summary(self) -> str:
        d = self.data
        parts = [self.title("Summary", f"{d.scope_text} · as of {d.as_of:%d %b %Y} · money in {d.currency}"),
                 self._tiles()]
        derived = d.total.derived_rag_counts
        rows = []
        for key, word in _RAG_WORDS.items():
            fill, colour = RAG_STYLE[word]
            rows.append([Cell(word, fill, colour, True), f"{d.reported_rag_counts.get(key, 0):,}",
                         f"{derived.get(key, 0):,}"])
        rows.append(["Not known", f"{len(d.projects) - sum(d.reported_rag_counts.values()):,}",
                     f"{len(d.projects) - sum(derived.values()):,}"])
        counts = (self.heading("Projects by RAG")
                  + self.table([Col("RAG", 40), Col("Reported", 30, "right"), Col("Derived", 30, "right")], rows,
                               empty="No project.", font_pt=8.5)
                  + self.note("Derived: the worst of the SPI, CPI and slip bands (see Notes)."))
        chart = self.image("rag", pack_charts.rag_by_stage_png(d), 440)
        parts.append(self.side_by_side(counts, f'<p align="center">{chart}</p>', 40))
        parts += [self._changes(), self._top_risks(), self._exceptions_by_rule()]
        return "".join(parts)

    def _tiles(self) -> str:
        cells = []
        for tile in kpi_tiles(self.data):
            value = self._tile_value(tile.value, tile.number_format)
            colour = RAG_STYLE[tile.rag][1] if tile.rag else NAVY
            cells.append(
                f'<td width="20%" bgcolor="{TILE}" valign="top">'
                f'<p style="font-size: 7.5pt; color: {GREY}"><b>{esc(tile.label)}</b></p>'
                f'<p style="font-size: 17pt; color: {colour}"><b>{esc(value)}</b></p>'
                f'<p style="font-size: 7pt; color: {GREY}">{esc(tile.note)}</p></td>')
        rows = "".join("<tr>" + "".join(cells[i:i + 5]) + "</tr>" for i in range(0, len(cells), 5))
        return (f'<table width="100%" cellspacing="{self.px(5)}" cellpadding="{self.px(5)}" '
                f'style="margin-top: {self.px(4)}px">{rows}</table>')

    def _tile_value(self, value: float | int | None, number_format: str) -> str:
        if value is None:
            return "n/a"
        if number_format == MONEY_MILLIONS:
            return short_money(value, self.data)
        if number_format == INDEX_FORMAT:
            return index_text(value)
        if number_format == PERCENT_FORMAT:
            return percent_text(value)
        return f"{value:,}"

    def _changes(self) -> str:
        changes = self.data.changes
        parts = [self.heading("What changed since last period", new_page=True)]
        if changes.latest is None:
            return parts[0] + self.note("Fewer than two reporting periods are on record, so there is nothing to "
                                        "compare.")
        parts.append(self.note(
            f"Reported RAG in the period ending {changes.latest:%d %b %Y} against {changes.previous:%d %b %Y}: "
            f"{changes.compared} projects reported in both; {changes.worsened} worsened, {changes.improved} "
            f"improved. Also {len(changes.cost_moves)} cost movements of {changes.cost_threshold_pct:g}% or more, "
            f"{len(changes.slips)} milestone slips, {len(changes.new_projects)} new and "
            f"{len(changes.closed_projects)} closed projects, {len(changes.escalations)} escalations."))
        moves = changes.moves[:LIST_ROWS]
        rows = [[m.project_code, m.project_name, rag_cell(m.before), rag_cell(m.after),
                 Cell("Worse", colour=RAG_STYLE["Red"][1], bold=True) if m.worse
                 else Cell("Better", colour=RAG_STYLE["Green"][1], bold=True)] for m in moves]
        parts.append(self.table([Col("Project", 11), Col("Name", 55), Col("Was", 11), Col("Now", 11),
                                 Col("Direction", 12)], rows, empty="No project's RAG moved."))
        parts.append(self.cut_note(len(moves), len(changes.moves), "first RAG moves"))
        if changes.slips:
            parts.append(self.heading("Milestone slips"))
            slips = sorted(changes.slips, key=lambda s: (-s.days, s.project_code))[:LIST_ROWS]
            parts.append(self.table(
                [Col("Project", 11), Col("Name", 30), Col("Milestone", 29), Col("Was due", 10), Col("Now due", 10),
                 Col("Slip (days)", 10, "right")],
                ([s.project_code, s.project_name, s.milestone, date_text(s.before), date_text(s.after),
                  f"{s.days:,}"] for s in slips), empty=""))
        if changes.cost_moves:
            parts.append(self.heading(f"Cost movements of {changes.cost_threshold_pct:g}% or more"))
            costs = changes.cost_moves[:LIST_ROWS]  # in the analytics' order: forecast moves first, as the tab shows
            parts.append(self.table(
                [Col("Project", 11), Col("Name", 37), Col("Measure", 14), Col("Was", 11, "right"),
                 Col("Now", 11, "right"), Col("Change", 9, "right"), Col("Change %", 7, "right")],
                ([c.project_code, c.project_name, c.measure.capitalize(), self.money(float(c.before)),
                  self.money(float(c.after)), Cell(self.money(float(c.change)),
                                                   colour=RAG_STYLE["Red"][1] if c.change > 0 else None),
                  "" if c.pct is None else f"{c.pct:+.0f}%"] for c in costs), empty=""))
            parts.append(self.cut_note(len(costs), len(changes.cost_moves), "largest cost movements"))
        return "".join(parts)

    def _top_risks(self) -> str:
        risks = self.data.top_risks
        rows = [[r.project_code, r.ref, r.title, r.owner or "", self._score_cell(r.score)] for r in risks]
        return (self.heading(f"Top {len(risks) or 10} open risks by score")
                + self.table([Col("Project", 11), Col("Ref", 9), Col("Risk", 52), Col("Owner", 20),
                              Col("Score", 8, "center")], rows, empty="No open, scored risk in this scope."))

    def _score_cell(self, score: int | None) -> Cell:
        if score is None:
            return Cell("")
        return Cell(str(score), BAND_FILL[self.data.risk_thresholds.band(score)], bold=True)

    def _exceptions_by_rule(self) -> str:
        counts: dict[str, tuple[int, set[str]]] = {}
        for e in self.data.exceptions:
            number, projects = counts.get(e.rule, (0, set()))
            projects.add(e.project_code)
            counts[e.rule] = (number + 1, projects)
        rows = [[title, f"{counts[rule][0]:,}", f"{len(counts[rule][1]):,}"]
                for rule, title in RULE_TITLES.items() if rule in counts]
        return (self.heading("Compliance exceptions by rule")
                + self.table([Col("Rule", 60), Col("Exceptions", 20, "right"), Col("Projects", 20, "right")], rows,
                             empty="None: every enabled rule is met."))

    # -- Portfolio ----------------------------------------------------------------------------
    def portfolio(self) -> str:
        d = self.data
        columns = [Col("Code", 5.5), Col("Project", 11.5), Col("Programme", 8.5), Col("Stage", 6), Col("Manager", 8.5),
                   Col("Reported", 5.5), Col("Derived", 5.5), Col("Baseline end", 6.5), Col("Forecast end", 6.5),
                   Col("Slip", 3.5, "right"), Col("Budget", 7, "right"), Col("Forecast (EAC)", 7, "right"),
                   Col("Variance", 7, "right"), Col("SPI", 3.5, "right"), Col("CPI", 3.5, "right"),
                   Col("% done", 4.5, "right")]
        rows = []
        for line in d.projects:
            k = line.kpis
            variance = line.variance
            rows.append([
                k.code, k.name, k.programme or "", stage_text(k.stage), line.manager or "", rag_cell(k.reported_rag),
                rag_cell(k.derived_rag), date_text(line.baseline_end), date_text(line.forecast_end),
                "" if k.slip_days is None else f"{k.slip_days:,}", self.money(k.bac), self.money(k.eac),
                Cell(self.money(variance), colour=RAG_STYLE["Red"][1] if variance and variance > 0 else None),
                index_text(k.spi), index_text(k.cpi),
                "" if k.ev is None or not k.bac else percent_text(k.ev / k.bac)])
        # Both charts print at the same share of their drawn width, so their fonts match.
        quadrant = self.image("quadrant", pack_charts.quadrant_png(d), 360)
        derived = self.image("derived", pack_charts.rag_by_stage_png(d, "derived"), 394)
        charts = self.side_by_side(f'<p align="center">{quadrant}</p>', f'<p align="center">{derived}</p>', 48)
        return (self.title("Portfolio", f"{len(d.projects)} projects · {d.scope_text} · as of {d.as_of:%d %b %Y} · "
                                        "variance = forecast − budget (red: over budget)")
                + charts
                + self.heading("Projects")
                + self.table(columns, rows, empty="No project in this scope.", font_pt=7))

    # -- Milestones ---------------------------------------------------------------------------
    def milestones(self) -> str:
        milestones = self.data.milestones
        overdue = sorted((m for m in milestones if m.overdue), key=lambda m: (m.due, m.project_code))
        upcoming = sorted((m for m in milestones if not m.overdue), key=lambda m: (m.due, m.project_code))

        def columns(days: str) -> list[Col]:
            return [Col("Due", 9), Col(days, 7, "right"), Col("Code", 8), Col("Project", 25), Col("Programme", 14),
                    Col("Milestone", 19), Col("Baseline", 9), Col("Forecast", 9)]

        def rows(items):
            return [[Cell(date_text(m.due), colour=RAG_STYLE["Red"][1] if m.overdue else None, bold=m.overdue),
                     f"{abs(m.days):,}", m.project_code, m.project_name, m.programme or "", m.name,
                     date_text(m.baseline), date_text(m.forecast)] for m in items]

        return (self.title("Milestones", f"{len(overdue)} overdue and {len(upcoming)} due in the next "
                                         f"{MILESTONE_WINDOW_DAYS} days (not yet achieved)")
                + self.heading(f"Overdue ({len(overdue)})")
                + self.cut_note(LIST_ROWS, len(overdue), "longest overdue")
                + self.table(columns("Days late"), rows(overdue[:LIST_ROWS]), empty="No milestone is overdue.")
                + self.heading(f"Due in the next {MILESTONE_WINDOW_DAYS} days ({len(upcoming)})")
                + self.cut_note(LIST_ROWS, len(upcoming), "soonest due")
                + self.table(columns("Days to go"), rows(upcoming[:LIST_ROWS]),
                             empty="No milestone falls due in the window."))

    # -- Financials ---------------------------------------------------------------------------
    def financials(self) -> str:
        d = self.data
        t = d.total
        chart = self.image("finance", pack_charts.budget_png(d), 520)
        return (self.title("Financials", "by programme and by department · rolled up as sums, indices from the sums")
                + self.heading("By programme")
                + self._finance_table("Programme", d.by_programme, "No programme",
                                      ("Total", t.projects, t.bac, t.ac, t.eac, t.spi, t.cpi))
                + f'<p align="center">{chart}</p>'
                + self.heading("By department")
                + self._finance_table("Department", d.by_department, "No department", None))

    def _finance_table(self, label: str, groups: dict, empty: str, total: tuple | None) -> str:
        ordered = sorted(groups.values(), key=lambda g: (g.key is None, -g.bac, g.key or ""))
        lines = [(g.key or empty, g.projects, g.bac, g.ac, g.eac, g.spi, g.cpi) for g in ordered]
        if total is not None and lines:
            lines.append(total)
        rows = [[name, f"{projects:,}", self.money(bac), self.money(ac), self.money(eac),
                 Cell(self.money(eac - bac), colour=RAG_STYLE["Red"][1] if eac - bac > 0 else None),
                 index_text(spi), index_text(cpi)] for name, projects, bac, ac, eac, spi, cpi in lines]
        columns = [Col(label, 28), Col("Projects", 8, "right"), Col("Budget (BAC)", 13, "right"),
                   Col("Actual", 13, "right"), Col("Forecast (EAC)", 13, "right"), Col("Variance", 12, "right"),
                   Col("SPI", 6.5, "right"), Col("CPI", 6.5, "right")]
        return self.table(columns, rows, empty="No project in this scope.", font_pt=8, bold_last=total is not None)

    # -- Resources ----------------------------------------------------------------------------
    def resources(self) -> str:
        d = self.data
        weeks = len(d.weeks)
        first = f"{d.weeks[0]:%d %b %Y}" if d.weeks else ""
        gaps = worst_gaps(d.demand, d.weeks, 8) if d.weeks else []
        gap_rows = [[g.role, f"{g.weeks_short} of {g.weeks}", f"{g.hours_short:,.0f}", date_text(g.first_week)]
                    for g in gaps]
        gap_table = (self.heading("Roles short of people")
                     + self.table([Col("Role", 40), Col("Weeks short", 20, "right"), Col("Hours short", 20, "right"),
                                   Col("From week of", 20)], gap_rows,
                                  empty="No role's unfilled demand exceeds its people's free hours.", font_pt=8))
        chart = self.image("demand", pack_charts.demand_png(d), 440)
        return (self.title("Resources", f"the {weeks} weeks from {first} · office-wide (people are shared "
                                        "across programmes)")
                + self.side_by_side(f"<p>{chart}</p>", gap_table, 58)
                + self.heading("Worst over-allocations")
                + self.note(f"Allocated ÷ available hours per week; red: above {OVER_ALLOCATED:.0%}. The "
                            f"'over-allocated people' tile counts those over in at least {OVER_ALLOCATED_MIN_WEEKS} "
                            f"weeks ({d.over_allocated_people}).")
                + self._worst_people())

    def _worst_people(self) -> str:
        d = self.data
        worst = [p for p in d.people if p.over_weeks][:WORST_PEOPLE_ROWS]
        week_share = 52 / max(len(d.weeks), 1)
        columns = [Col("Person", 15), Col("Role", 13), Col("Weeks over", 6, "right"), Col("Peak", 6, "right"),
                   Col("Excess h", 8, "right"),
                   *(Col(f"{monday:%d %b}", week_share, "center") for monday in d.weeks)]
        rows = []
        for p in worst:
            cells: list[str | Cell] = [p.label, p.role or "", f"{p.over_weeks}",
                                       percent_text(p.peak) if math.isfinite(p.peak) else "off",
                                       f"{p.excess_hours:,.0f}"]
            for w in range(len(d.weeks)):
                level = p.utilisation(w)
                if level is None:
                    cells.append("")
                elif math.isinf(level):
                    cells.append(Cell("off", "#F8CBAD", RAG_STYLE["Red"][1], True))
                else:
                    over = level > OVER_ALLOCATED
                    cells.append(Cell(percent_text(level), _heat(level), RAG_STYLE["Red"][1] if over else None, over))
            rows.append(cells)
        return self.table(columns, rows, empty="Nobody is over-allocated in these weeks.", font_pt=6.5)

    # -- RAID ---------------------------------------------------------------------------------
    def raid(self) -> str:
        d = self.data
        chart = self.image("heatmap", pack_charts.heat_map_png(d), 300)
        shown = d.raid[:TOP_RISK_ROWS]
        rows = [[self._score_cell(r.score), r.project_code, r.ref, r.kind.capitalize(), r.title, r.owner or "",
                 "" if r.likelihood is None else str(r.likelihood), "" if r.impact is None else str(r.impact),
                 r.status.replace("_", " ").capitalize(), date_text(r.due), (r.escalation or "").capitalize()]
                for r in shown]
        columns = [Col("Score", 5, "center"), Col("Project", 7), Col("Ref", 5), Col("Kind", 7), Col("Title", 33),
                   Col("Owner", 12), Col("L", 3, "center"), Col("I", 3, "center"), Col("Status", 8), Col("Due", 8),
                   Col("Escalation", 9)]
        more = (f"The {len(shown)} highest-scoring of {len(d.raid):,} open items; the workbook lists them all."
                if len(d.raid) > len(shown) else f"All {len(d.raid):,} open items, highest score first.")
        return (self.title("RAID", f"{len(d.raid):,} open items · risks scored likelihood × impact")
                + self.side_by_side(f'<p align="center">{chart}</p>', self._grid(), 45)
                + self.heading("Open items by score") + self.note(more)
                + self.table(columns, rows, empty="No open RAID item in this scope."))

    def _grid(self) -> str:
        """The 5x5 matrix of open risks as a grid of counts: likelihood down (very high on top), impact across."""
        d = self.data
        matrix = d.matrix
        head = "".join(f'<th bgcolor="{NAVY}" width="15%"><span style="color: #FFFFFF">{impact} '
                       f"{esc(SCALE_WORDS[impact - 1])}</span></th>" for impact in SCALE)
        body = []
        for likelihood in reversed(SCALE):
            cells = [f'<td bgcolor="#FFFFFF"><b>{likelihood} {esc(SCALE_WORDS[likelihood - 1])}</b></td>']
            for impact in SCALE:
                cell = matrix.cell(likelihood, impact)
                text = f"<b>{cell.count:,}</b>" if cell.count else '<span style="color: #808080">0</span>'
                cells.append(f'<td align="center" bgcolor="{BAND_FILL[cell.band]}">{text}</td>')
            body.append("<tr>" + "".join(cells) + "</tr>")
        bands = matrix.band_totals()
        return (self.heading("Open risks: likelihood × impact")
                + f'<table width="100%" border="0.5" cellspacing="0" cellpadding="{self.px(6)}" '
                  f'style="border-collapse: collapse; border-color: {RULE}; font-size: 9pt">'
                  f'<thead><tr><th bgcolor="{NAVY}" width="25%"><span style="color: #FFFFFF">Likelihood ↓ / '
                  f'Impact →</span></th>{head}</tr></thead>{"".join(body)}</table>'
                + self.note(f"{matrix.total:,} scored open risks: {bands[ScoreBand.HIGH]:,} high (score ≥ "
                            f"{d.risk_thresholds.red}), {bands[ScoreBand.MEDIUM]:,} medium, "
                            f"{bands[ScoreBand.LOW]:,} low; {matrix.unscored:,} unscored."))

    # -- Governance ---------------------------------------------------------------------------
    def governance(self) -> str:
        d = self.data
        oldest = sorted(d.exceptions, key=lambda e: (e.since is None, e.since or dt.date.max, e.project_code))
        exceptions = [[RULE_TITLES.get(e.rule, e.rule), e.project_code, e.project_name, e.manager_label,
                       date_text(e.since), e.detail, e.remedy] for e in oldest[:LIST_ROWS]]
        latest = sorted(d.decisions, key=lambda x: x.review.review_date, reverse=True)[:LIST_ROWS]
        decisions = [[date_text(x.review.review_date), x.review.project_code, x.review.project_name,
                      f"{x.review.gate} ({x.review.transition})", _decision_cell(x.decision),
                      f"{x.review.criteria_met} of {x.review.criteria_total}", "\n".join(x.conditions)]
                     for x in latest]
        return (self.title("Governance", f"{len(d.exceptions):,} compliance exceptions · gate decisions of the "
                                         f"last {DECISION_WINDOW_DAYS} days")
                + self.heading("Compliance exceptions")
                + self.cut_note(len(exceptions), len(d.exceptions), "longest-standing exceptions")
                + self.table([Col("Rule", 11), Col("Project", 6.5), Col("Name", 13), Col("Manager", 9.5),
                              Col("Since", 7), Col("Detail", 35), Col("What to do", 18)], exceptions,
                             empty="No compliance exception: every enabled rule is met.", font_pt=7)
                + self.heading("Recent gate decisions")
                + self.cut_note(len(decisions), len(d.decisions), "latest decisions")
                + self.table([Col("Date", 8), Col("Project", 7), Col("Name", 17), Col("Gate", 15), Col("Decision", 12),
                              Col("Criteria met", 7), Col("Conditions", 34)], decisions,
                             empty=f"No gate review in the last {DECISION_WINDOW_DAYS} days."))

    # -- Notes --------------------------------------------------------------------------------
    def notes(self, db_label: str) -> str:
        d = self.data
        sources = [["Database", db_label], ["Office", d.office_name],
                   ["Currency", f"{d.currency} ({d.currency_symbol.strip()})"],
                   ["Fiscal year", f"starts in {dt.date(2000, d.fiscal_year_start_month, 1):%B}"],
                   ["Latest status reports", date_text(d.latest_period) or "none"],
                   ["Generated", f"{self.generated:%d %b %Y %H:%M}"],
                   ["Utilisation window", f"{HEATMAP_WEEKS} weeks from the as-of date"]]
        batches = [[b.file_name, b.kind or "", "" if b.imported_at is None else f"{b.imported_at:%d %b %Y %H:%M}",
                    b.imported_by or "", f"{b.inserted:,}", f"{b.updated:,}", f"{b.rejected:,}", b.status.capitalize()]
                   for b in d.batches[:IMPORT_ROWS]]
        more = (self.note(f"The latest {IMPORT_ROWS} of {len(d.batches):,} imports; the workbook lists them all.")
                if len(d.batches) > IMPORT_ROWS else "")
        return (self.title("Notes", "data sources and definitions")
                + self.table([Col("Source", 20), Col("Detail", 80)], sources, empty="", font_pt=7.5)
                + self.heading("Imports")
                + self.table([Col("File", 30), Col("Kind", 9), Col("Imported", 13), Col("By", 12),
                              Col("New rows", 9, "right"), Col("Changed rows", 9, "right"),
                              Col("Rejected rows", 9, "right"), Col("Status", 9)], batches,
                             empty="No spreadsheet has been imported: the data was entered or generated here.")
                + more
                + self.heading("Definitions")
                + self.table([Col("Term", 20), Col("Definition", 80)], DEFINITIONS, empty="", font_pt=7.5))


def _heat(level: float) -> str:
    """A utilisation's fill: white at 0, green at 100%, red from 150% (the workbook's colour scale)."""
    def mix(a: tuple[int, int, int], b: tuple[int, int, int], t: float) -> str:
        return "#" + "".join(f"{round(x + (y - x) * t):02X}" for x, y in zip(a, b, strict=True))

    white, green, red = (255, 255, 255), (169, 208, 142), (248, 105, 107)
    if level <= 1:
        return mix(white, green, max(level, 0.0))
    return mix(green, red, min((level - 1) / 0.5, 1.0))


def _decision_cell(decision: str) -> Cell:
    lowered = decision.lower()
    if lowered.startswith("rejected"):
        return Cell(decision, *RAG_STYLE["Red"], bold=True)
    if "condition" in lowered or lowered.startswith("deferred"):
        return Cell(decision, *RAG_STYLE["Amber"], bold=True)
    return Cell(decision, *RAG_STYLE["Green"], bold=True)

