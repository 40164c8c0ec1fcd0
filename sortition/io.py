"""Reading the quotas and people files an engagement officer uploads.

Officers make these files in Excel or Google Sheets, so we accept what those programs write
(UTF-8 with or without a byte-order mark, Windows-1252, Excel's UTF-16 "Unicode Text"; commas,
semicolons or tabs) and, rather than stopping at the first mistake, report every problem at
once with the row and column a spreadsheet shows. Nothing is returned unless the whole file is good: a half-loaded pool could
be selected from without anyone noticing the missing people.
"""

from __future__ import annotations

import csv
import dataclasses
import difflib
import io
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from sortition.model import (
    Category,
    Instance,
    InputError,
    Pool,
    Problem,
    Quotas,
    clean_text,
    normalise,
)

QUOTA_COLUMNS = ("feature", "value", "min", "max")
FLEX_COLUMNS = ("min_flex", "max_flex")

# Header spellings accepted for each quotas column; `category,name` is the older layout of the
# Sortition Foundation's tools, still common in officers' templates. `category,feature` (the
# feature's value in `feature`) is handled in `_parse_quotas`.
_QUOTA_ALIASES = {
    "feature": ("feature", "category"),
    "value": ("value", "name"),
    "min": ("min", "minimum"),
    "max": ("max", "maximum"),
    "min_flex": ("min_flex", "minimum_flex"),
    "max_flex": ("max_flex", "maximum_flex"),
    "share": ("share", "population_share", "census_share", "target_share",
              "share_of_population"),
}
# How far one feature's population shares may add up from 100 % (rounding in census tables).
SHARE_TOLERANCE = 0.015

# Id columns recognised in the people file, in order of preference.
ID_COLUMNS = (
    "id",
    "person_id",
    "respondent_id",
    "nationbuilder_id",
    "participant_id",
    "primary_id",
    "unique_id",
)

# Headings of contact details (and their obvious variants), which are never used as the id: an
# id is kept after a person's details are deleted, printed on letters and published with the
# lottery, so it must not be their e-mail address, phone number, name or address. Compared as
# header keys (see `_header_key`): whole words for the short ones, anywhere for the rest.
CONTACT_WORDS = ("name", "names", "mail", "tel", "zip", "town", "city", "mob", "cell")
CONTACT_PARTS = ("email", "e_mail", "phone", "mobile", "address", "street", "postcode",
                 "post_code", "postal", "surname", "forename", "firstname", "lastname",
                 "fullname", "given_name", "family_name", "first_name", "last_name",
                 "full_name", "telephone")
# The column added to a pool whose file has no id column: each respondent's row in the file.
ROW_COLUMNS = ("row", "row_number", "file_row")

_DELIMITERS = (",", ";", "\t")
_WHOLE_NUMBER = re.compile(r"[+-]?[0-9]+(\.0*)?")
# The largest quota number accepted: more than any panel has seats, and far inside the whole
# numbers a database stores (PostgreSQL's integer stops at 2,147,483,647).
MAX_QUOTA = 1_000_000


# -- Reading a CSV file as a spreadsheet shows it ---------------------------------------------


@dataclass(frozen=True)
class _Table:
    """A CSV file's header and records, with the spreadsheet row number of each record."""

    header: tuple[str, ...]
    records: tuple[tuple[int, tuple[str, ...]], ...]


def _decode(data: bytes, name: str) -> tuple[str | None, list[Problem]]:
    """The file's text, trying the encodings spreadsheet programs actually write."""
    if data.startswith(b"PK\x03\x04"):
        return None, [
            Problem(
                "This looks like an Excel workbook (.xlsx), not a CSV file. In Excel choose "
                "File > Save As and pick 'CSV UTF-8 (Comma delimited)', then upload that file.",
                file=name,
            )
        ]
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        # Excel's "Unicode Text" export: UTF-16 with a byte-order mark, tab-separated.
        try:
            return data.decode("utf-16"), []
        except UnicodeDecodeError:
            pass
    else:
        for encoding in ("utf-8-sig", "cp1252"):
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError:
                continue
            if "\x00" not in text:
                return text, []
    return None, [
        Problem(
            "The file is not readable text (it is neither UTF-8 nor Windows-1252). Save it from "
            "your spreadsheet program as 'CSV UTF-8' and upload it again.",
            file=name,
        )
    ]


def _delimiter(text: str) -> str:
    """The separator that splits the header line into the most columns (commas win ties)."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    best, most = ",", 0
    for delimiter in _DELIMITERS:
        try:
            fields = next(csv.reader([first], delimiter=delimiter), [])
        except csv.Error:  # a cell beyond the field limit: _read_table reports where
            fields = first.split(delimiter)
        if len(fields) > most:
            best, most = delimiter, len(fields)
    return best


def _long_cell(text: str, delimiter: str) -> int | None:
    """The 0-based column of the first cell longer than the csv module's field limit (where the
    reader stopped), found by a quote-aware scan; None if there is none."""
    limit = csv.field_size_limit()
    column = length = 0
    quoted = False
    i, end = 0, len(text)
    while i < end:
        char = text[i]
        if quoted:
            if char == '"' and text[i + 1:i + 2] == '"':
                i += 1  # an escaped quote inside a quoted cell
                length += 1
            elif char == '"':
                quoted = False
            else:
                length += 1
        elif char == '"' and length == 0:
            quoted = True
        elif char == delimiter:
            column, length = column + 1, 0
        elif char == "\n":
            column, length = 0, 0
        elif char != "\r":
            length += 1
        if length > limit:
            return column
        i += 1
    return None


def _read_table(data: bytes, name: str) -> tuple[_Table | None, list[Problem]]:
    text, problems = _decode(data, name)
    if text is None:
        return None, problems
    delimiter = _delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: tuple[str, ...] | None = None
    records: list[tuple[int, tuple[str, ...]]] = []
    row_number = 0
    try:
        for record in reader:
            row_number += 1
            # Control characters (an escape sequence, a stray NUL) have no place in a cell and
            # could rewrite a terminal's screen when the value is printed later.
            cells = tuple(clean_text(cell).strip() for cell in record)
            if not any(cells):
                continue  # blank rows are what spreadsheets leave at the end; skip them
            if header is None:
                header = cells
            else:
                records.append((row_number, cells))
    except csv.Error as error:
        if "field larger than field limit" in str(error):
            column = _long_cell(text, delimiter)
            heading = (header[column] if header is not None and column is not None
                       and column < len(header) else
                       (f"column {column + 1}" if column is not None else None))
            return None, [
                Problem(
                    f"A cell is longer than {csv.field_size_limit():,} characters, more than any "
                    "answer or contact detail needs. Check that the file was saved as CSV from "
                    "your spreadsheet program, and shorten or delete that cell.",
                    file=name,
                    row=row_number + 1,
                    column=heading,
                )
            ]
        return None, [
            Problem(
                f"The file is not valid CSV ({error}). Check for a stray quotation mark, "
                "or save it again from your spreadsheet program as CSV.",
                file=name,
                row=row_number + 1,
            )
        ]
    if header is None:
        return None, [Problem("The file is empty: it has no header row and no data.", file=name)]
    return _Table(header, tuple(records)), []


def _header_key(text: str) -> str:
    """How header names are compared: case, spaces, hyphens and underscores do not matter."""
    return re.sub(r"[\s_\-]+", "_", text.strip().casefold()).strip("_")


def is_contact_heading(text: str) -> bool:
    """Does this column heading name a contact detail (name, e-mail, phone, address)?"""
    key = _header_key(text)
    return (any(word in key.split("_") for word in CONTACT_WORDS)
            or any(part in key for part in CONTACT_PARTS))


def _did_you_mean(wanted: str, header: tuple[str, ...]) -> str:
    """A hint naming the file's column closest to `wanted`, if one is close enough."""
    keys = {normalise(h): h for h in header if h}
    target = normalise(wanted)
    close = [k for k in keys if target in k or (len(k) > 2 and k in target)]
    close = close or difflib.get_close_matches(target, list(keys), n=1, cutoff=0.6)
    return f" (or rename the column '{keys[close[0]]}' if that is it)" if close else ""


def _cell(cells: tuple[str, ...], position: int) -> str:
    return cells[position] if position < len(cells) else ""


def _extra_cells(cells: tuple[str, ...], header: tuple[str, ...]) -> bool:
    return any(cells[len(header):])


# -- Quotas ------------------------------------------------------------------------------------


def _whole_number(text: str, column: str, label: str, row: int, name: str,
                  problems: list[Problem], *, required: bool) -> int | None:
    """Parse one quota number, adding a problem that says what was found when it is wrong."""
    if not text:
        if required:
            problems.append(Problem(
                f"The {label} is empty. Write a whole number (0 if there is no {label}).",
                file=name, row=row, column=column))
        return None
    if not _WHOLE_NUMBER.fullmatch(text):
        problems.append(Problem(
            f"The {label} must be a whole number, but this cell contains '{text}'.",
            file=name, row=row, column=column))
        return None
    digits = text.split(".")[0]
    if len(digits.lstrip("+-").lstrip("0")) > len(str(MAX_QUOTA)):
        # int() of a huge string is slow, and the number is out of range either way.
        number = -1 if digits.startswith("-") else MAX_QUOTA + 1
    else:
        number = int(digits)
    if number > MAX_QUOTA:
        problems.append(Problem(
            f"The {label} is larger than {MAX_QUOTA:,}, more than any panel has seats. Write "
            "the number of panel members this category may have.",
            file=name, row=row, column=column))
        return None
    if number < 0:
        problems.append(Problem(
            f"The {label} cannot be negative, but this cell contains {text[:20]}. "
            "Use 0 or a positive whole number.",
            file=name, row=row, column=column))
        return None
    return number


def _share(text: str, column: str, label: str, row: int, name: str,
           problems: list[Problem]) -> tuple[float, bool] | None:
    """One population share as written (`12.5`, `12.5 %` or `0.125`) and whether it carried a
    per cent sign; None when blank or wrong (then with a problem saying what was found)."""
    if not text:
        return None
    written = text.strip()
    percent = written.endswith("%")
    number = written.rstrip("%").strip()
    if "," in number and "." not in number:
        number = number.replace(",", ".")          # 12,5: a decimal comma
    try:
        value = float(number)
    except ValueError:
        value = float("nan")
    if not math.isfinite(value) or value < 0 or value > 100:
        problems.append(Problem(
            f"The population share of {label} should be a percentage from 0 to 100 (such as "
            f"12.5 or 12.5 %), but this cell contains {written[:20]}.",
            file=name, row=row, column=column))
        return None
    return value, percent


def _shares(found: dict[str, list[tuple[int, str, float, bool]]], column: str, name: str,
            problems: list[Problem]) -> dict[tuple[str, str], float]:
    """Each value's population share as a fraction. A feature's shares are read as fractions
    when none has a per cent sign and they add up to 1, and as percentages otherwise; either
    way they must add up to 100 %."""
    shares: dict[tuple[str, str], float] = {}
    for feature, rows in found.items():
        numbers = [number for _, _, number, _ in rows]
        fractions = (not any(percent for *_, percent in rows)
                     and abs(sum(numbers) - 1) <= SHARE_TOLERANCE)
        total = sum(numbers) if fractions else sum(numbers) / 100
        if abs(total - 1) > SHARE_TOLERANCE:
            problems.append(Problem(
                f"The population shares of {feature} add up to {total * 100:.1f} %, but the "
                "values of a feature together make up the whole population: check them against "
                "the census table, so that they add up to 100 %.",
                file=name, row=rows[0][0], column=column))
            continue
        for _, value, number, _ in rows:
            shares[(normalise(feature), normalise(value))] = number if fractions else number / 100
    return shares


def _parse_quotas(data: bytes, name: str) -> tuple[Quotas | None, list[Problem]]:
    """The quotas and every problem found. The Quotas returned holds every row whose feature and
    value are usable (with unusable numbers replaced by 0) so that the people file can still be
    checked against it; it is only handed to callers when there are no problems."""
    table, problems = _read_table(data, name)
    if table is None:
        return None, problems

    keys = [_header_key(h) for h in table.header]
    aliases_of: dict[str, tuple[str, ...]] = dict(_QUOTA_ALIASES)
    if ("category" in keys and "feature" in keys
            and not any(key in _QUOTA_ALIASES["value"] for key in keys)):
        # The older layout `category,feature,min,max` (as in the replication code of Flanigan
        # et al., Nature 2021): there the category is the feature and `feature` its value.
        aliases_of["feature"], aliases_of["value"] = ("category",), ("feature",)
    where: dict[str, int] = {}
    for column, aliases in aliases_of.items():
        found = [i for i, key in enumerate(keys) if key in aliases]
        if len(found) > 1:
            names = " and ".join(f"'{table.header[i]}'" for i in found)
            problems.append(Problem(
                f"The columns {names} both give the {column}. Keep one and delete the other.",
                file=name, row=1, column=table.header[found[1]]))
        if found:
            where[column] = found[0]
    for column in QUOTA_COLUMNS:
        if column not in where:
            problems.append(Problem(
                f"There is no '{column}' column. The first row must name the columns "
                "feature,value,min,max (min_flex and max_flex are optional); the older layouts "
                "category,name,min,max and category,feature,min,max are accepted too.",
                file=name, row=1, column=column))

    def text(cells: tuple[str, ...], column: str) -> str:
        return _cell(cells, where[column]) if column in where else ""

    def heading(column: str) -> str:
        return table.header[where[column]] if column in where else column

    categories: list[Category] = []
    first_row: dict[tuple[str, str], int] = {}
    # feature -> (row, value, share as written, per cent sign) of each row with a share
    written_shares: dict[str, list[tuple[int, str, float, bool]]] = {}
    unshared: dict[str, int] = {}      # feature -> first row without a share
    unreadable: set[str] = set()       # features with a share that is not a number
    for row, cells in table.records:
        if _extra_cells(cells, table.header):
            problems.append(Problem(
                f"This row has more cells than the header has columns ({len(table.header)}). "
                "Delete the extra cells or give their column a heading.", file=name, row=row))
        feature, value = text(cells, "feature"), text(cells, "value")
        usable = "feature" in where and "value" in where
        for column, content in (("feature", feature), ("value", value)):
            if column in where and not content:
                usable = False
                problems.append(Problem(
                    f"The {column} is empty. Every row needs a feature (such as Age) and a "
                    "value (such as 16-29).", file=name, row=row, column=heading(column)))

        numbers: dict[str, int | None] = {}
        labels = {"min": "minimum", "max": "maximum",
                  "min_flex": "min_flex", "max_flex": "max_flex"}
        for column in (*QUOTA_COLUMNS[2:], *FLEX_COLUMNS):
            if column in where:
                numbers[column] = _whole_number(
                    text(cells, column), heading(column), labels[column], row, name, problems,
                    required=column in ("min", "max"))
            else:
                numbers[column] = None
        low, high = numbers["min"], numbers["max"]
        low_flex, high_flex = numbers["min_flex"], numbers["max_flex"]
        label = f"{feature} {value}".strip()
        if low is not None and high is not None and low > high:
            problems.append(Problem(
                f"The minimum ({low}) is larger than the maximum ({high}) for {label}. "
                "Make the minimum at most the maximum.",
                file=name, row=row, column=heading("min")))
        if low_flex is not None and low is not None and low_flex > low:
            problems.append(Problem(
                f"min_flex ({low_flex}) is larger than the minimum ({low}) for {label}. "
                "min_flex is how low the minimum may be lowered, so it must be at most the "
                "minimum.", file=name, row=row, column=heading("min_flex")))
        if high_flex is not None and high is not None and high_flex < high:
            problems.append(Problem(
                f"max_flex ({high_flex}) is smaller than the maximum ({high}) for {label}. "
                "max_flex is how high the maximum may be raised, so it must be at least the "
                "maximum.", file=name, row=row, column=heading("max_flex")))

        if not usable:
            continue
        if "share" in where:
            share = _share(text(cells, "share"), heading("share"), label, row, name, problems)
            if share is not None:
                written_shares.setdefault(feature, []).append((row, value, *share))
            elif not text(cells, "share"):
                unshared.setdefault(feature, row)
            else:
                unreadable.add(feature)     # said already; its total would only mislead
        key = (normalise(feature), normalise(value))
        if key in first_row:
            problems.append(Problem(
                f"{label} is listed twice (rows {first_row[key]} and {row}). "
                "Keep one row for each value and delete the other.",
                file=name, row=row, column=heading("value")))
            continue
        first_row[key] = row
        categories.append(Category(
            feature=feature,
            value=value,
            min=low or 0,
            max=high or 0,
            min_flex=low_flex if low_flex is not None else 0,
            max_flex=high_flex,
        ))

    if not table.records:
        problems.append(Problem(
            "The file has a header but no quotas. Add one row per feature value, for example "
            "Gender,Female,14,16.", file=name))
    for feature, row in unshared.items():
        if feature in written_shares:
            problems.append(Problem(
                f"This {feature} value has no population share, but others of {feature} do. "
                f"Give every value of {feature} its share, or leave them all blank.",
                file=name, row=row, column=heading("share")))
            del written_shares[feature]
    for feature in unreadable:
        written_shares.pop(feature, None)
    shares = _shares(written_shares, heading("share"), name, problems)
    categories = [dataclasses.replace(c, share=shares.get(c.key)) for c in categories]
    return (Quotas(tuple(categories)) if "feature" in where and "value" in where else None,
            problems)


def read_quotas(data: bytes, name: str = "quotas.csv") -> Quotas:
    """Read a quotas file (`feature,value,min,max[,min_flex,max_flex]`), or raise InputError
    listing every problem in it."""
    quotas, problems = _parse_quotas(data, name)
    if problems or quotas is None:
        raise InputError(problems)
    return quotas


# -- People ------------------------------------------------------------------------------------


def _parse_people(
    data: bytes,
    quotas: Quotas | None,
    *,
    address_columns: Sequence[str],
    id_column: str | None,
    name: str,
) -> tuple[Pool | None, list[Problem]]:
    """The pool and every problem found. With `quotas` None (the quotas file itself was
    unreadable) only the checks that do not need the quotas are made."""
    table, problems = _read_table(data, name)
    if table is None:
        return None, problems
    header = table.header
    exact = [normalise(h) for h in header]

    def find(wanted: str, purpose: str) -> int | None:
        """Position of the column named `wanted` (trimmed, any case), reporting duplicates."""
        found = [i for i, h in enumerate(exact) if h == normalise(wanted)]
        if len(found) > 1:
            problems.append(Problem(
                f"There are {len(found)} columns called '{header[found[0]]}' (used {purpose}). "
                "Rename or delete all but one.", file=name, row=1, column=header[found[1]]))
        return found[0] if found else None

    features = quotas.features if quotas is not None else ()
    feature_at: list[int | None] = []
    for feature in features:
        position = find(feature, f"for the feature {feature}")
        if position is None:
            problems.append(Problem(
                f"There is no column for the feature '{feature}' in the quotas. Add a column "
                f"headed '{feature}' with each respondent's value{_did_you_mean(feature, header)}.",
                file=name, row=1, column=feature))
        feature_at.append(position)

    address_at: list[int] = []
    for column in address_columns:
        position = find(column, "as an address column")
        if position is None:
            problems.append(Problem(
                f"There is no address column '{column}'. Check the spelling of the address "
                f"columns you chose{_did_you_mean(column, header)}, or choose columns that are "
                "in the file.",
                file=name, row=1, column=column))
        else:
            address_at.append(position)

    id_at: int | None = None
    if id_column is not None:
        id_at = find(id_column, "as the id")
        if id_at is None:
            problems.append(Problem(
                f"There is no id column '{id_column}'. Choose the column that holds each "
                "respondent's unique id, or leave the id column out: respondents are then "
                "numbered by their row in the file.", file=name, row=1, column=id_column))
        elif is_contact_heading(header[id_at]):
            problems.append(Problem(
                f"'{header[id_at]}' holds contact details, so it cannot be the id: ids are kept "
                "after people's details are deleted and are printed on letters. Choose a column "
                "of reference numbers, or leave the id column out: respondents are then "
                "numbered by their row in the file.", file=name, row=1, column=header[id_at]))
            id_at = None
    else:
        keys = [_header_key(h) for h in header]
        id_at = next((keys.index(k) for k in ID_COLUMNS if k in keys), None)
    # Without an id column, each respondent's id is their row number in the file (as a
    # spreadsheet shows it): never another column, which could be their e-mail address.
    ids_from_rows = id_at is None and id_column is None
    row_heading = ""
    if ids_from_rows:
        taken = {_header_key(h) for h in header}
        row_heading = next((c for c in ROW_COLUMNS if c not in taken), "minipublic_row")

    # Per feature: category index by normalised value, and the values to suggest.
    choices = [
        ({normalise(v): quotas.index(feature, v) for v in quotas.values(feature)},
         ", ".join(quotas.values(feature)))
        for feature in features
    ] if quotas is not None else []
    ids: list[str] = []
    rows: list[tuple[str, ...]] = []
    chosen = np.zeros((len(table.records), len(features)), dtype=np.intp)
    household_keys: list[tuple[str, ...] | None] = []
    first_row: dict[str, int] = {}
    for person, (row, cells) in enumerate(table.records):
        if _extra_cells(cells, header):
            problems.append(Problem(
                f"This row has more cells than the header has columns ({len(header)}). "
                "Delete the extra cells or give their column a heading.", file=name, row=row))
        padded = cells[:len(header)] + ("",) * (len(header) - len(cells))
        if ids_from_rows:
            ids.append(str(row))
        rows.append((str(row), *padded) if ids_from_rows else padded)
        if id_at is not None:
            identifier = padded[id_at]
            if not identifier:
                problems.append(Problem(
                    "The id is empty. Every respondent needs a unique id.",
                    file=name, row=row, column=header[id_at]))
            elif identifier in first_row:
                problems.append(Problem(
                    f"The id '{identifier}' is also used on row {first_row[identifier]}. "
                    "Every respondent needs their own id; if this is the same person twice, "
                    "delete one of the rows.",
                    file=name, row=row, column=header[id_at]))
            else:
                first_row[identifier] = row
            ids.append(identifier)
        for f, (feature, position) in enumerate(zip(features, feature_at, strict=True)):
            if position is None:
                continue
            value = padded[position]
            lookup, allowed = choices[f]
            if not value:
                problems.append(Problem(
                    f"The value for {feature} is empty. Every respondent needs one of the values "
                    f"in the quotas: {allowed}.", file=name, row=row, column=header[position]))
                continue
            try:
                chosen[person, f] = lookup[normalise(value)]
            except KeyError:
                problems.append(Problem(
                    f"'{value}' is not one of the values for {feature} in the quotas "
                    f"({allowed}). Correct it here, or add a row for it to the quotas file.",
                    file=name, row=row, column=header[position]))
        address = tuple(normalise(padded[i]) for i in address_at)
        household_keys.append(address if any(address) else None)

    if not table.records:
        problems.append(Problem(
            "The file has a header but no respondents. Add one row per respondent.", file=name))
    if problems or quotas is None:
        return None, problems

    numbers: dict[tuple[str, ...], int] = {}
    households = np.array(
        [-1 if key is None else numbers.setdefault(key, len(numbers)) for key in household_keys],
        dtype=np.int64,
    )
    pool = Pool(
        ids=tuple(ids),
        categories=chosen,
        households=households,
        columns=(row_heading, *header) if ids_from_rows else header,
        rows=tuple(rows),
        ids_from_rows=ids_from_rows,
    )
    return pool, []


def read_people(
    data: bytes,
    quotas: Quotas,
    *,
    address_columns: Sequence[str] = (),
    id_column: str | None = None,
    name: str = "people.csv",
) -> Pool:
    """Read the pool of respondents, matching each one's values to the quotas' categories, or
    raise InputError listing every problem in the file.

    People whose address columns all agree (ignoring case and spacing) share a household
    number; people with every address column blank get -1 and share it with nobody.
    """
    pool, problems = _parse_people(
        data, quotas, address_columns=address_columns, id_column=id_column, name=name)
    if problems or pool is None:
        raise InputError(problems)
    return pool


# -- The problem as a whole --------------------------------------------------------------------


def _instance_problems(instance: Instance) -> list[Problem]:
    problems: list[Problem] = []
    k, n = instance.panel_size, len(instance.pool)
    quotas = instance.quotas
    if k <= 0:
        return [Problem(f"The panel size must be at least 1, not {k}.")]
    if k > n:
        problems.append(Problem(
            f"The panel size ({k}) is larger than the pool ({n} respondents). Choose a smaller "
            "panel or recruit more respondents."))
    in_pool = instance.membership.sum(axis=1)
    for feature in quotas.features:
        rows = [quotas.index(feature, v) for v in quotas.values(feature)]
        low = sum(quotas.categories[c].min for c in rows)
        high = sum(quotas.categories[c].max for c in rows)
        if not low <= k <= high:
            problems.append(Problem(
                f"The quotas for {feature} add up to between {low} and {high} people, so they "
                f"cannot give a panel of {k}. Change the panel size, or change the {feature} "
                f"quotas so that the minimums add up to at most {k} and the maximums to at "
                f"least {k}."))
            continue
        reachable = sum(min(quotas.categories[c].max, int(in_pool[c])) for c in rows)
        if reachable < k <= n:
            problems.append(Problem(
                f"Even taking everyone the {feature} quotas allow, the pool gives only "
                f"{reachable} people for a panel of {k}, because some {feature} groups have "
                "fewer respondents than their maximum. Recruit more respondents in those groups "
                "or choose a smaller panel."))
    for c, category in enumerate(quotas.categories):
        if category.min > in_pool[c]:
            problems.append(Problem(
                f"The quotas ask for at least {category.min} people with {category.feature} "
                f"{category.value}, but the pool has only {int(in_pool[c])}. Lower that minimum "
                f"to {int(in_pool[c])} or recruit more respondents."))
    if instance.one_per_household:
        labels = instance.pool.households
        for c, category in enumerate(quotas.categories):
            if category.min <= in_pool[c]:
                members = labels[instance.membership[c]]
                homes = len(np.unique(members[members >= 0])) + int(np.sum(members < 0))
                if homes < category.min:
                    problems.append(Problem(
                        f"The quotas ask for at least {category.min} people with "
                        f"{category.feature} {category.value}, but with at most one person per "
                        f"household the pool can give only {homes}: the {int(in_pool[c])} "
                        f"such respondents live in {homes} households. Lower that minimum to "
                        f"{homes} or recruit more respondents."))
        households = len(np.unique(labels[labels >= 0])) + int(np.sum(labels < 0))
        if households < k:
            problems.append(Problem(
                f"With at most one person per household, the pool has only {households} "
                f"households for a panel of {k}. Choose a smaller panel, recruit more "
                "respondents, or allow more than one person per household."))
    return problems


def check_instance(instance: Instance) -> None:
    """Raise InputError listing every reason the panel size, quotas and pool cannot fit
    together that can be seen without solving anything."""
    problems = _instance_problems(instance)
    if problems:
        raise InputError(problems)


def load_instance(
    quotas_bytes: bytes,
    people_bytes: bytes,
    panel_size: int,
    *,
    address_columns: Sequence[str] = (),
    one_per_household: bool = False,
    id_column: str | None = None,
    quotas_name: str = "quotas.csv",
    people_name: str = "people.csv",
) -> Instance:
    """Read both files and check them together, raising one InputError with every problem in
    either file, so the officer can fix everything in one go."""
    problems: list[Problem] = []
    if one_per_household and not address_columns:
        problems.append(Problem(
            "One person per household needs address columns to tell households apart. Choose "
            "the address columns (for example address line 1 and postcode)."))
    quotas, quota_problems = _parse_quotas(quotas_bytes, quotas_name)
    problems += quota_problems
    pool, people_problems = _parse_people(
        people_bytes, quotas, address_columns=address_columns, id_column=id_column,
        name=people_name)
    problems += people_problems
    if panel_size <= 0:
        problems.append(Problem(f"The panel size must be at least 1, not {panel_size}."))
    if problems or quotas is None or pool is None:
        raise InputError(problems)
    instance = Instance(pool, quotas, panel_size, one_per_household)
    check_instance(instance)
    return instance
