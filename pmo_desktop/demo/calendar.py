"""Calendar helpers for the demo: month ends, month starts and England & Wales bank holidays."""

from __future__ import annotations

import datetime as dt


def month_end(day: dt.date) -> dt.date:
    """The last day of ``day``'s month."""
    first_next = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return first_next - dt.timedelta(days=1)


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved by whole months, clamped to the end of a shorter month."""
    year, month0 = divmod(day.year * 12 + day.month - 1 + months, 12)
    first = dt.date(year, month0 + 1, 1)
    return first.replace(day=min(day.day, month_end(first).day))


def past_month_ends(today: dt.date, count: int) -> list[dt.date]:
    """The last ``count`` month ends strictly before ``today``, oldest first."""
    ends = [today.replace(day=1) - dt.timedelta(days=1)]
    while len(ends) < count:
        ends.append(ends[-1].replace(day=1) - dt.timedelta(days=1))
    return ends[::-1]


def monday_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def easter_sunday(year: int) -> dt.date:
    """Western Easter Sunday (anonymous Gregorian algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    ell = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ell) // 451
    month = (h + ell - 7 * m + 114) // 31
    day = (h + ell - 7 * m + 114) % 31 + 1
    return dt.date(year, month, day)


def _first_monday(year: int, month: int) -> dt.date:
    day = dt.date(year, month, 1)
    return day + dt.timedelta(days=(7 - day.weekday()) % 7)


def _last_monday(year: int, month: int) -> dt.date:
    day = month_end(dt.date(year, month, 1))
    return day - dt.timedelta(days=day.weekday())


def _substitute(day: dt.date, taken: set[dt.date]) -> dt.date:
    """A holiday on a weekend (or on another holiday's substitute day) moves to the next free weekday."""
    while day.weekday() >= 5 or day in taken:
        day += dt.timedelta(days=1)
    return day


def uk_bank_holidays(year: int) -> list[tuple[dt.date, str]]:
    """England & Wales bank holidays of ``year`` under the standard rules (no one-off royal holidays)."""
    easter = easter_sunday(year)
    fixed = [
        (easter - dt.timedelta(days=2), "Good Friday"),
        (easter + dt.timedelta(days=1), "Easter Monday"),
        (_first_monday(year, 5), "Early May bank holiday"),
        (_last_monday(year, 5), "Spring bank holiday"),
        (_last_monday(year, 8), "Summer bank holiday"),
    ]
    taken = {day for day, _ in fixed}
    new_year = _substitute(dt.date(year, 1, 1), taken)
    taken.add(new_year)
    boxing = dt.date(year, 12, 26)
    if dt.date(year, 12, 25).weekday() == 6:  # Christmas on a Sunday: Boxing Day stays, Christmas moves
        christmas = _substitute(dt.date(year, 12, 25), taken | {boxing})
    else:
        christmas = _substitute(dt.date(year, 12, 25), taken)
        boxing = _substitute(boxing, taken | {christmas})
    holidays = [(new_year, "New Year's Day"), *fixed, (christmas, "Christmas Day"), (boxing, "Boxing Day")]
    return sorted(holidays)
