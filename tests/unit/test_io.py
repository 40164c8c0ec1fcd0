"""Reading the officer's quotas and people files: every problem reported at once, where it is."""

from __future__ import annotations

import csv
import io

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sortition.io import check_instance, is_contact_heading, load_instance, read_people, read_quotas
from sortition.model import Category, InputError, Instance, Pool, Problem, Quotas
from sortition.synthetic import ADDRESS_COLUMNS, make_pool
from tests.unit._examples import examples

QUOTAS = (
    "feature,value,min,max\n"
    "Gender,Woman,2,3\n"
    "Gender,Man,2,3\n"
    "Age,16-29,1,2\n"
    "Age,30-64,1,3\n"
    "Age,65+,1,2\n"
)

PEOPLE = (
    "id,name,gender,age,street,postcode\n"
    "p1,Ann,Woman,16-29,1 High St,L1 1AA\n"
    "p2,Bob,Man,30-64,1 High St,L1 1AA\n"
    "p3,Cat,Woman,65+,,\n"
    "p4,Dan,Man,16-29,2 Low Rd,L2 2BB\n"
    "p5,Eve,Woman,30-64,,\n"
    "p6,Fay,Man,65+,3 Mid Way,L3 3CC\n"
)


def problems_of(call, *args, **kwargs) -> list[Problem]:
    with pytest.raises(InputError) as caught:
        call(*args, **kwargs)
    return caught.value.problems


def where(problems: list[Problem]) -> set[tuple[int | None, str | None]]:
    return {(p.row, p.column) for p in problems}


def only(problems: list[Problem], row: int | None, column: str | None) -> Problem:
    found = [p for p in problems if p.row == row and p.column == column]
    assert len(found) == 1, problems
    return found[0]


# -- Quotas: what is accepted ------------------------------------------------------------------


def test_reads_quotas_in_file_order_with_default_flex() -> None:
    quotas = read_quotas(QUOTAS.encode())
    assert quotas.features == ("Gender", "Age")
    assert quotas.values("age") == ("16-29", "30-64", "65+")
    assert quotas.categories[0] == Category("Gender", "Woman", 2, 3, 0, None)
    assert list(quotas.lower) == [2, 2, 1, 1, 1]
    assert list(quotas.upper) == [3, 3, 2, 3, 2]


def test_reads_flex_columns_and_leaves_blank_flex_at_its_default() -> None:
    quotas = read_quotas(
        b"feature,value,min,max,min_flex,max_flex\nAge,Young,2,4,1,6\nAge,Old,2,4,,\n")
    assert quotas.categories == (
        Category("Age", "Young", 2, 4, 1, 6),
        Category("Age", "Old", 2, 4, 0, None),
    )


@pytest.mark.parametrize("header", [
    "category,name,min,max",
    " Feature , VALUE ,Min,MAX",
    "Category,Name,Minimum,Maximum",
])
def test_accepts_older_and_untidy_header_names(header: str) -> None:
    quotas = read_quotas(f"{header}\nAge,Young,1,2\nAge,Old,0,3\n".encode())
    assert quotas.categories == (Category("Age", "Young", 1, 2), Category("Age", "Old", 0, 3))


def test_accepts_flex_headers_with_spaces_and_capitals() -> None:
    quotas = read_quotas(b"Feature,Value,Min,Max,Min Flex,MAX-FLEX\nAge,Young,1,2,0,5\n")
    assert quotas.categories == (Category("Age", "Young", 1, 2, 0, 5),)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "utf-16"])
def test_decodes_every_encoding_spreadsheets_write(encoding: str) -> None:
    text = "feature,value,min,max\nRégion,Côte d’Azur,1,2\nRégion,Île-de-France,0,3\n"
    if encoding == "utf-16":
        text = text.replace(",", "\t")  # Excel's "Unicode Text" is tab-separated
    quotas = read_quotas(text.encode(encoding))
    assert quotas.features == ("Région",)
    assert quotas.values("région") == ("Côte d’Azur", "Île-de-France")


def test_byte_order_mark_does_not_end_up_in_the_first_header() -> None:
    quotas = read_quotas("feature,value,min,max\nAge,Young,1,2\n".encode("utf-8-sig"))
    assert quotas.categories[0].feature == "Age"


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_detects_semicolons_and_tabs(delimiter: str) -> None:
    text = QUOTAS.replace(",", delimiter)
    assert read_quotas(text.encode()) == read_quotas(QUOTAS.encode())


def test_semicolon_file_with_commas_inside_values() -> None:
    quotas = read_quotas(b"feature;value;min;max\nArea;Halton, Knowsley;1;2\nArea;Wirral;0;1\n")
    assert quotas.values("Area") == ("Halton, Knowsley", "Wirral")


def test_quoted_values_windows_line_endings_and_blank_rows() -> None:
    data = b'feature,value,min,max\r\n\r\n"Age","16-29",1,2\r\n,,,\r\nAge,30+,0,3\r\n\r\n'
    quotas = read_quotas(data)
    assert quotas.values("Age") == ("16-29", "30+")


def test_whole_numbers_written_with_a_decimal_point_are_accepted() -> None:
    quotas = read_quotas(b"feature,value,min,max\nAge,Young,1.0,2.00\n")
    assert (quotas.categories[0].min, quotas.categories[0].max) == (1, 2)


NAMES = st.text(alphabet="abcdefghijklmnopqrstuvwxyzéèçñ ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-+'",
                min_size=1, max_size=12).map(str.strip).filter(bool)


@st.composite
def quota_files(draw: st.DrawFn) -> tuple[bytes, tuple[Category, ...]]:
    """A well-formed quotas file in any accepted spelling, and the categories it holds."""
    features = draw(st.lists(NAMES, min_size=1, max_size=4, unique_by=lambda f: " ".join(
        f.split()).casefold()))
    categories = []
    for feature in features:
        values = draw(st.lists(NAMES, min_size=1, max_size=4, unique_by=lambda v: " ".join(
            v.split()).casefold()))
        for value in values:
            low = draw(st.integers(0, 50))
            high = draw(st.integers(low, 60))
            min_flex = draw(st.integers(0, low))
            max_flex = draw(st.one_of(st.none(), st.integers(high, 70)))
            categories.append(Category(feature, value, low, high, min_flex, max_flex))
    draw(st.randoms()).shuffle(categories)
    header = [
        draw(st.sampled_from(["feature", "Feature", "category", " CATEGORY "])),
        draw(st.sampled_from(["value", "Value", "name", "NAME"])),
        draw(st.sampled_from(["min", "Min", "minimum"])),
        draw(st.sampled_from(["max", "MAX", "maximum"])),
        draw(st.sampled_from(["min_flex", "Min Flex"])),
        draw(st.sampled_from(["max_flex", "max-flex"])),
    ]
    out = io.StringIO()
    writer = csv.writer(out, delimiter=draw(st.sampled_from([",", ";", "\t"])))
    writer.writerow(header)
    for c in categories:
        writer.writerow([c.feature, c.value, c.min, c.max, c.min_flex,
                         "" if c.max_flex is None else c.max_flex])
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]))
    return out.getvalue().encode(encoding), tuple(categories)


@settings(max_examples=examples(100), deadline=None)
@given(quota_files())
def test_any_well_formed_quotas_file_reads_back_exactly(
    file: tuple[bytes, tuple[Category, ...]],
) -> None:
    data, categories = file
    assert read_quotas(data).categories == categories


@pytest.mark.parametrize(("header", "young", "old"), [
    ("share", "40", "60"),                          # percentages
    ("Population share", "40 %", "60%"),            # with the sign, as a spreadsheet writes
    ("census_share", "0.4", "0.6"),                 # fractions that add up to 1
    ("Share", '"39,6"', '"60,4"'),                  # a decimal comma (quoted)
])
def test_reads_each_values_population_share_as_a_fraction(header: str, young: str,
                                                           old: str) -> None:
    quotas = read_quotas(f"feature,value,min,max,{header}\nAge,Young,2,4,{young}\n"
                         f"Age,Old,2,4,{old}\nArea,North,1,3,\nArea,South,1,3,\n".encode())
    shares = [c.share for c in quotas.categories]
    assert shares[0] == pytest.approx(0.4, abs=0.005)
    assert shares[1] == pytest.approx(0.6, abs=0.005)
    assert shares[2:] == [None, None]          # a feature without shares keeps none


def test_population_shares_that_cannot_be_right_are_refused_where_they_are() -> None:
    data = ("feature,value,min,max,share\n"
            "Age,Young,2,4,40\n"            # row 2
            "Age,Old,2,4,50\n"              # row 3: Age adds up to 90 %
            "Area,North,1,3,55\n"           # row 4
            "Area,South,1,3,\n"             # row 5: the only Area value without a share
            "Tenure,Own,1,3,sixty\n"        # row 6: not a number
            "Tenure,Rent,1,3,40\n").encode()
    problems = problems_of(read_quotas, data)
    assert where(problems) == {(2, "share"), (5, "share"), (6, "share")}
    assert "add up to 90.0 %" in only(problems, 2, "share").message
    assert "Give every value of Area its share" in only(problems, 5, "share").message
    assert "percentage from 0 to 100" in only(problems, 6, "share").message


# -- Quotas: what is wrong, all at once --------------------------------------------------------


def test_missing_columns_are_named_in_the_header_row() -> None:
    problems = problems_of(read_quotas, b"feature,value,maximum\nAge,Young,2\n")
    assert where(problems) == {(1, "min")}
    assert "no 'min' column" in problems[0].message
    assert "feature,value,min,max" in problems[0].message
    assert problems[0].file == "quotas.csv"


def test_every_missing_column_is_reported() -> None:
    problems = problems_of(read_quotas, b"group,min\nAge,2\n", name="my quotas.csv")
    assert where(problems) == {(1, "feature"), (1, "value"), (1, "max")}
    assert all(p.file == "my quotas.csv" for p in problems)


def test_every_problem_in_the_quotas_file_is_reported_with_row_and_column() -> None:
    data = (
        "feature,value,min,max,min_flex,max_flex\n"  # row 1
        "Gender,Woman,2,3,,\n"                        # row 2: fine
        ",Man,2,3,,\n"                                # row 3: empty feature
        "Gender,,1,2,,\n"                             # row 4: empty value
        "gender, WOMAN ,1,2,,\n"                      # row 5: duplicate of row 2
        "Age,16-29,two,2,,\n"                         # row 6: not a number
        "Age,30-64,1,2.5,,\n"                         # row 7: not whole
        "Age,65+,-1,2,,\n"                            # row 8: negative
        "Area,North,4,3,,\n"                          # row 9: min > max
        "Area,South,1,3,2,\n"                         # row 10: min_flex > min
        "Area,East,1,3,,2\n"                          # row 11: max_flex < max
        "Area,West,,3,,\n"                            # row 12: empty min
    ).encode()
    problems = problems_of(read_quotas, data)
    assert where(problems) == {
        (3, "feature"), (4, "value"), (5, "value"), (6, "min"), (7, "max"), (8, "min"),
        (9, "min"), (10, "min_flex"), (11, "max_flex"), (12, "min"),
    }
    assert len(problems) == 10
    assert "feature is empty" in only(problems, 3, "feature").message
    assert "value is empty" in only(problems, 4, "value").message
    assert "listed twice (rows 2 and 5)" in only(problems, 5, "value").message
    assert "whole number" in only(problems, 6, "min").message
    assert "'two'" in only(problems, 6, "min").message
    assert "'2.5'" in only(problems, 7, "max").message
    assert "cannot be negative" in only(problems, 8, "min").message
    assert "minimum (4) is larger than the maximum (3) for Area North" in only(
        problems, 9, "min").message
    assert "min_flex (2) is larger than the minimum (1) for Area South" in only(
        problems, 10, "min_flex").message
    assert "max_flex (2) is smaller than the maximum (3) for Area East" in only(
        problems, 11, "max_flex").message
    assert "minimum is empty" in only(problems, 12, "min").message


def test_columns_are_named_as_the_file_spells_them() -> None:
    problems = problems_of(read_quotas, b"Category,Name,Min,Max\nAge,Young,3,1\n")
    assert where(problems) == {(2, "Min")}


def test_rows_are_counted_as_a_spreadsheet_shows_them() -> None:
    data = b"feature,value,min,max\n\nAge,Young,1,2\n\n\nAge,Old,x,2\n"
    assert where(problems_of(read_quotas, data)) == {(6, "min")}


def test_row_counting_follows_records_not_lines_in_quoted_cells() -> None:
    data = b'feature,value,min,max\nAge,"Young\nand restless",1,2\nAge,Old,x,2\n'
    assert where(problems_of(read_quotas, data)) == {(3, "min")}


def test_extra_cells_beyond_the_header_are_reported() -> None:
    problems = problems_of(read_quotas, b"feature,value,min,max\nAge,Young,1,2,oops\n")
    assert where(problems) == {(2, None)}
    assert "more cells than the header" in problems[0].message


def test_the_same_column_given_twice_is_reported() -> None:
    problems = problems_of(read_quotas, b"feature,category,value,min,max\nAge,Age,Y,1,2\n")
    assert where(problems) == {(1, "category")}
    assert "'feature' and 'category'" in problems[0].message


@pytest.mark.parametrize(("data", "expected"), [
    (b"", "empty"),
    (b"\n\n  \n", "empty"),
    (b"feature,value,min,max\n", "no quotas"),
    (b"PK\x03\x04\x14\x00\x06\x00binary workbook", "Excel workbook"),
    (b"feature,value,min,max\nAge,\x81\x8d\x00,1,2\n", "not readable text"),
])
def test_unusable_files_get_a_clear_message(data: bytes, expected: str) -> None:
    problems = problems_of(read_quotas, data)
    assert len(problems) == 1
    assert expected in problems[0].message


def test_a_cell_beyond_the_csv_size_limit_is_reported_on_its_row_and_column() -> None:
    data = b"feature,value,min,max\nAge,Young,1,2\nAge,\"" + b"x" * 200_000 + b"\",1,2\n"
    problems = problems_of(read_quotas, data)
    assert where(problems) == {(3, "value")}
    assert "longer than 131,072 characters" in problems[0].message


@pytest.mark.parametrize("reader", [read_quotas, lambda data: read_people(data, quotas())])
@pytest.mark.parametrize(("data", "row", "column"), [
    # The first line alone is beyond the limit: it used to crash while guessing the separator.
    (b"x" * 140_000 + b",value,min,max\n", 1, "column 1"),
    (b"feature,value,min,max\n" + b"Age;" * 40_000 + b",a,1,2\n", 2, "feature"),
    (b'id,Age\n1,"a ""quoted"" word and ' + b"y" * 140_000 + b'"\n', 2, "Age"),
    (b"id\tAge\n1\t" + b"z" * 140_000 + b"\n", 2, "Age"),
])
def test_over_long_lines_and_cells_are_problems_not_crashes(reader, data: bytes, row: int,
                                                             column: str) -> None:
    with pytest.raises(InputError) as raised:
        reader(data)
    assert [(p.row, p.column) for p in raised.value.problems] == [(row, column)]


@pytest.mark.parametrize(("cell", "problem"), [
    ("99999999999999999999999", "larger than 1,000,000"),
    ("1000001", "larger than 1,000,000"),
    ("-99999999999999999999999", "cannot be negative"),
    ("\uff11", "must be a whole number"),  # a full-width digit: int() takes it, we do not
])
def test_quota_numbers_are_bounded(cell: str, problem: str) -> None:
    problems = problems_of(read_quotas, f"feature,value,min,max\nAge,Young,{cell},2\n".encode())
    assert [(p.row, p.column) for p in problems] == [(2, "min")]
    assert problem in problems[0].message


def test_control_characters_are_taken_out_of_cells() -> None:
    data = "feature,value,min,max\nAge\x1b[2J,\"You\r\nng\x07\u202e\",1,2\n".encode()
    quotas_read = read_quotas(data)
    assert [(c.feature, c.value) for c in quotas_read.categories] == [("Age[2J", "You ng")]


def test_a_problem_reads_as_file_row_column_and_message() -> None:
    problems = problems_of(read_quotas, b"feature,value,min,max\nAge,Young,x,2\n")
    assert str(problems[0]) == (
        "quotas.csv, row 2, column 'min': The minimum must be a whole number, "
        "but this cell contains 'x'.")


# -- People ------------------------------------------------------------------------------------


def quotas() -> Quotas:
    return read_quotas(QUOTAS.encode())


def test_reads_people_matching_values_to_categories() -> None:
    pool = read_people(PEOPLE.encode(), quotas())
    assert pool.ids == ("p1", "p2", "p3", "p4", "p5", "p6")
    q = quotas()
    assert pool.categories.tolist() == [
        [q.index("Gender", g), q.index("Age", a)]
        for g, a in [("Woman", "16-29"), ("Man", "30-64"), ("Woman", "65+"),
                     ("Man", "16-29"), ("Woman", "30-64"), ("Man", "65+")]
    ]
    assert pool.columns == ("id", "name", "gender", "age", "street", "postcode")
    assert pool.rows[2] == ("p3", "Cat", "Woman", "65+", "", "")
    assert pool.households.tolist() == [-1] * 6


def test_values_and_feature_headers_match_ignoring_case_and_spaces() -> None:
    data = b"ID, GENDER ,Age\n1, woman ,16-29\n2,MAN,  30-64\n"
    pool = read_people(data, quotas())
    q = quotas()
    assert pool.categories.tolist() == [
        [q.index("Gender", "Woman"), q.index("Age", "16-29")],
        [q.index("Gender", "Man"), q.index("Age", "30-64")],
    ]


def test_people_file_in_windows_1252_with_semicolons() -> None:
    q = read_quotas("feature;value;min;max\nRégion;Côte;0;1\nRégion;Île;0;1\n".encode("cp1252"))
    pool = read_people("id;région\n1;côte\n2;ÎLE\n".encode("cp1252"), q)
    assert pool.categories.tolist() == [[0], [1]]


@pytest.mark.parametrize(("header", "expected"), [
    ("name,gender,age,id", ("1", "2")),
    ("name,gender,age,Person ID", ("1", "2")),
    ("name,gender,age,respondent_id", ("1", "2")),
    ("name,gender,age,NationBuilder ID", ("1", "2")),
    ("name,gender,age,whatever", ("2", "3")),  # no id column: the row numbers,
    ("gender,age,name,whatever", ("2", "3")),  # never the first column that is not a feature
])
def test_finds_the_id_column(header: str, expected: tuple[str, ...]) -> None:
    columns = header.split(",")
    values = {"name": ["Ann", "Bob"], "gender": ["Woman", "Man"], "age": ["16-29", "65+"]}
    rows = [
        ",".join(values[c][i] if c in values else str(i + 1) for c in columns) for i in range(2)
    ]
    pool = read_people("\n".join([header, *rows]).encode(), quotas())
    assert pool.ids == expected


def test_id_preference_when_several_columns_could_be_the_id() -> None:
    data = b"respondent_id,id,gender,age\nr1,i1,Man,65+\n"
    assert read_people(data, quotas()).ids == ("i1",)


def test_an_explicit_id_column_wins() -> None:
    data = b"id,ref,gender,age\n1,A,Man,65+\n2,B,Woman,65+\n"
    assert read_people(data, quotas(), id_column="REF").ids == ("A", "B")
    problems = problems_of(read_people, data, quotas(), id_column="code")
    assert where(problems) == {(1, "code")}
    assert "no id column 'code'" in problems[0].message


def test_every_problem_in_the_people_file_is_reported_with_row_and_column() -> None:
    data = (
        "id,gender,age\n"   # row 1
        "a,Woman,16-29\n"   # row 2: fine
        ",Man,30-64\n"      # row 3: empty id
        "a,Woman,65+\n"     # row 4: duplicate of row 2
        "b,Female,65+\n"    # row 5: unknown value
        "c,Man,\n"          # row 6: empty value
        "d,Man,16-29,x\n"   # row 7: extra cell
    ).encode()
    problems = problems_of(read_people, data, quotas())
    assert where(problems) == {(3, "id"), (4, "id"), (5, "gender"), (6, "age"), (7, None)}
    assert "id is empty" in only(problems, 3, "id").message
    assert "'a' is also used on row 2" in only(problems, 4, "id").message
    unknown = only(problems, 5, "gender").message
    assert "'Female' is not one of the values for Gender" in unknown
    assert "(Woman, Man)" in unknown
    assert "value for Age is empty" in only(problems, 6, "age").message
    assert "16-29, 30-64, 65+" in only(problems, 6, "age").message
    assert all(p.file == "people.csv" for p in problems)


def test_without_an_id_column_ids_are_row_numbers_never_contact_details() -> None:
    data = (b"email,phone,gender,age\n"
            b"ann@example.org,07700 900001,Woman,65+\n"
            b"\n"                                        # a blank line keeps its row number
            b"bob@example.org,07700 900002,Man,16-29\n")
    pool = read_people(data, quotas())
    assert pool.ids == ("2", "4") and pool.ids_from_rows
    # The row number is carried as an added first column, for selected.csv and remaining.csv.
    assert pool.columns == ("row", "email", "phone", "gender", "age")
    assert pool.rows[1] == ("4", "bob@example.org", "07700 900002", "Man", "16-29")
    assert not read_people(b"id,gender,age\nA,Man,65+\n", quotas()).ids_from_rows
    # A file that already has a "row" column keeps it; the added one is named differently.
    pool = read_people(b"row,gender,age\nx,Man,65+\n", quotas())
    assert pool.columns[0] == "row_number" and pool.ids == ("2",)


@pytest.mark.parametrize("heading", [
    "email", "E-mail", "Email Address", "emailaddress", "phone", "Mobile number", "Tel",
    "name", "Full Name", "Surname", "first_name", "Address", "Address line 1", "Street",
    "Postcode", "Post code", "ZIP", "Town", "City",
])
def test_a_contact_column_is_never_the_id(heading: str) -> None:
    assert is_contact_heading(heading)
    data = f"{heading},gender,age\nA,Man,65+\n".encode()
    assert read_people(data, quotas()).ids == ("2",)
    problem = only(problems_of(read_people, data, quotas(), id_column=heading), 1, heading)
    assert "holds contact details, so it cannot be the id" in problem.message


@pytest.mark.parametrize("heading", ["id", "person_id", "NationBuilder ID", "ref", "code",
                                     "ticket", "age", "gender", "hotel", "excellent"])
def test_other_headings_are_not_contact_details(heading: str) -> None:
    assert not is_contact_heading(heading)


def test_missing_feature_and_address_columns_are_reported_together() -> None:
    data = b"id,gender,street\n1,Man,x\n"
    problems = problems_of(read_people, data, quotas(), address_columns=("street", "postcode"))
    assert where(problems) == {(1, "Age"), (1, "postcode")}
    assert "no column for the feature 'Age'" in only(problems, 1, "Age").message
    assert "no address column 'postcode'" in only(problems, 1, "postcode").message


def test_a_missing_column_suggests_a_close_one() -> None:
    data = b"id,Gender,Age band,Post code\n1,Man,65+,L1\n"
    problems = problems_of(read_people, data, quotas(), address_columns=("postcode",))
    assert "(or rename the column 'Age band' if that is it)" in only(problems, 1, "Age").message
    assert "(or rename the column 'Post code' if that is it)" in only(
        problems, 1, "postcode").message
    problems = problems_of(read_people, b"id,Gender,Town\n1,Man,L1\n", quotas())
    assert "rename" not in only(problems, 1, "Age").message


def test_two_columns_for_one_feature_are_reported() -> None:
    data = b"id,gender,age,Gender \n1,Man,65+,Man\n"
    problems = problems_of(read_people, data, quotas())
    assert where(problems) == {(1, "Gender")}
    assert "2 columns called 'gender'" in problems[0].message


def test_empty_people_file_and_header_only() -> None:
    assert "empty" in problems_of(read_people, b"", quotas())[0].message
    assert "no respondents" in problems_of(read_people, b"id,gender,age\n", quotas())[0].message


def test_households_group_people_at_the_same_address() -> None:
    data = (
        "id,gender,age,street,postcode\n"
        "1,Man,65+,1 High St,L1 1AA\n"
        "2,Woman,65+, 1 high st ,l1 1aa\n"  # same address, different case and spacing
        "3,Man,65+,1 High St,L9 9ZZ\n"      # same street, other postcode
        "4,Woman,65+,,\n"                   # no address
        "5,Man,65+,,\n"                     # no address: not the same household as 4
        "6,Woman,65+,,L9 9ZZ\n"             # only a postcode
        "7,Man,65+,,l9 9zz\n"               # same postcode and blank street: same as 6
    ).encode()
    pool = read_people(data, quotas(), address_columns=("Street", "postcode"))
    h = pool.households.tolist()
    assert h[0] == h[1] >= 0
    assert h[2] >= 0 and h[2] != h[0]
    assert h[3] == h[4] == -1
    assert h[5] == h[6] >= 0 and h[5] not in (h[0], h[2])
    assert len({h[0], h[2], h[5]}) == 3


def test_households_of_a_synthetic_pool_match_its_addresses() -> None:
    synthetic = make_pool(300, 30, households=True, seed=4)
    pool = read_people(synthetic.people_csv(), synthetic.quotas, address_columns=ADDRESS_COLUMNS)
    expected = synthetic.household_labels
    # Same partition of people into households (the numbering may differ).
    pairs = set(zip(pool.households.tolist(), expected.tolist(), strict=True))
    assert len(pairs) == len(set(expected.tolist())) == len(set(pool.households.tolist()))
    assert len(set(expected.tolist())) < 300
    assert np.array_equal(pool.categories, synthetic.pool().categories)


# -- Every problem of a generated file, exactly -------------------------------------------------

VALUES = {"Gender": ("Woman", "Man", "Another"), "Age": ("16-29", "30-64", "65+")}
GENERATED_QUOTAS = Quotas(tuple(
    Category(f, v, 0, 5) for f, values in VALUES.items() for v in values))


@st.composite
def people_tables(draw: st.DrawFn) -> tuple[bytes, set[tuple[int, str]], list[list[str]]]:
    """A people file with random mistakes, and where each mistake is."""
    size = draw(st.integers(1, 12))
    expected: set[tuple[int, str]] = set()
    rows: list[list[str]] = []
    writer_rows: list[list[str]] = []
    seen: dict[str, int] = {}
    for i in range(size):
        row_number = i + 2
        identifier = draw(st.sampled_from(["", f"r{i}", "r0", f"R{i}"]))
        if not identifier or identifier in seen:
            expected.add((row_number, "id"))
        else:
            seen[identifier] = row_number
        cells = [identifier]
        for feature, values in VALUES.items():
            kind = draw(st.sampled_from(["good", "good", "untidy", "empty", "unknown"]))
            value = draw(st.sampled_from(values))
            if kind == "untidy":
                value = f"  {value.upper()} "
            elif kind == "empty":
                value = ""
            elif kind == "unknown":
                value = value + "x"
            if kind in ("empty", "unknown"):
                expected.add((row_number, feature.lower()))
            cells.append(value)
        if not any(c.strip() for c in cells):
            # A wholly blank row is what spreadsheets leave behind: skipped, not a mistake.
            expected -= {(row_number, "id"), (row_number, "gender"), (row_number, "age")}
        else:
            rows.append(cells)
        writer_rows.append(cells)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=draw(st.sampled_from([",", ";"])))
    writer.writerow(["id", "gender", "age"])
    writer.writerows(writer_rows)
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]))
    return out.getvalue().encode(encoding), expected, rows


@settings(max_examples=examples(100), deadline=None)
@given(people_tables())
def test_exactly_the_mistakes_made_are_reported(
    table: tuple[bytes, set[tuple[int, str]], list[list[str]]],
) -> None:
    data, expected, rows = table
    if not rows:
        problems = problems_of(read_people, data, GENERATED_QUOTAS)
        assert [p.message for p in problems] == [
            "The file has a header but no respondents. Add one row per respondent."]
    elif expected:
        problems = problems_of(read_people, data, GENERATED_QUOTAS)
        assert where(problems) == expected
        assert len(problems) == len(expected)
    else:
        pool = read_people(data, GENERATED_QUOTAS)
        assert pool.ids == tuple(r[0] for r in rows)
        for person, row in enumerate(rows):
            for f, feature in enumerate(VALUES):
                category = GENERATED_QUOTAS.categories[pool.categories[person, f]]
                assert category.feature == feature
                assert category.value.casefold() == row[f + 1].strip().casefold()


# -- The instance as a whole -------------------------------------------------------------------


def instance(panel_size: int, quota_text: str = QUOTAS, *, households: bool = False
             ) -> Instance:
    q = read_quotas(quota_text.encode())
    address = ("street", "postcode") if households else ()
    pool = read_people(PEOPLE.encode(), q, address_columns=address)
    return Instance(pool, q, panel_size, households)


def test_a_sound_instance_passes() -> None:
    check_instance(instance(5))


@pytest.mark.parametrize(("size", "expected"), [
    (0, "at least 1, not 0"),
    (-3, "at least 1, not -3"),
])
def test_panel_size_must_be_positive(size: int, expected: str) -> None:
    problems = problems_of(check_instance, instance(size))
    assert len(problems) == 1 and expected in problems[0].message


def test_panel_larger_than_pool_and_outside_every_feature_range() -> None:
    problems = problems_of(check_instance, instance(7))
    messages = [p.message for p in problems]
    assert any("larger than the pool (6 respondents)" in m for m in messages)
    assert any("quotas for Gender add up to between 4 and 6 people" in m
               and "panel of 7" in m for m in messages)
    assert not any("Age add up" in m for m in messages)  # 3..7 includes 7
    assert len(problems) == 2


def test_panel_below_the_sum_of_minimums() -> None:
    problems = problems_of(check_instance, instance(3))
    assert [p.message for p in problems] == [
        "The quotas for Gender add up to between 4 and 6 people, so they cannot give a panel "
        "of 3. Change the panel size, or change the Gender quotas so that the minimums add up "
        "to at most 3 and the maximums to at least 3."]


def test_a_minimum_above_the_people_in_the_pool() -> None:
    text = QUOTAS.replace("Age,65+,1,2", "Age,65+,3,3")
    problems = problems_of(check_instance, instance(5, text))
    assert [p.message for p in problems] == [
        "The quotas ask for at least 3 people with Age 65+, but the pool has only 2. "
        "Lower that minimum to 2 or recruit more respondents."]


def test_maximums_the_pool_cannot_fill() -> None:
    text = (
        "feature,value,min,max\n"
        "Gender,Woman,0,3\nGender,Man,0,3\n"
        "Age,16-29,0,2\nAge,30-64,0,3\nAge,65+,0,1\n"  # only two people are 30-64
    )
    problems = problems_of(check_instance, instance(6, text))
    assert len(problems) == 1
    assert "the pool gives only 5 people for a panel of 6" in problems[0].message
    assert "Age" in problems[0].message


def test_too_few_households_for_the_panel() -> None:
    # p1 and p2 share an address: six people, five households.
    check_instance(instance(5, households=True))
    loose = QUOTAS.replace("Gender,Woman,2,3", "Gender,Woman,0,6").replace(
        "Gender,Man,2,3", "Gender,Man,0,6").replace("Age,30-64,1,3", "Age,30-64,1,6")
    problems = problems_of(check_instance, instance(6, loose, households=True))
    assert [p.message for p in problems] == [
        "With at most one person per household, the pool has only 5 households for a panel "
        "of 6. Choose a smaller panel, recruit more respondents, or allow more than one person "
        "per household."]


def test_a_minimum_the_households_cannot_fill() -> None:
    people = PEOPLE.replace("2 Low Rd,L2 2BB", "1 High St,L1 1AA")  # both 16-29s at one address
    q = read_quotas(QUOTAS.replace("Age,16-29,1,2", "Age,16-29,2,2").encode())
    pool = read_people(people.encode(), q, address_columns=("street", "postcode"))
    check_instance(Instance(pool, q, 4))
    problems = problems_of(check_instance, Instance(pool, q, 4, one_per_household=True))
    assert [p.message for p in problems] == [
        "The quotas ask for at least 2 people with Age 16-29, but with at most one person per "
        "household the pool can give only 1: the 2 such respondents live in 1 households. "
        "Lower that minimum to 1 or recruit more respondents."]


def test_every_instance_problem_at_once() -> None:
    text = QUOTAS.replace("Age,65+,1,2", "Age,65+,3,3")
    problems = problems_of(check_instance, instance(7, text, households=True))
    assert len(problems) == 4  # pool too small, Gender range, 65+ minimum, households


# -- Loading both files -----------------------------------------------------------------------


def test_load_instance_reads_and_checks_everything() -> None:
    loaded = load_instance(QUOTAS.encode(), PEOPLE.encode(), 5,
                           address_columns=("street", "postcode"), one_per_household=True)
    assert loaded.panel_size == 5 and loaded.one_per_household
    assert len(loaded.pool) == 6
    assert loaded.pool.households[0] == loaded.pool.households[1]


def test_load_instance_reports_problems_of_both_files_together() -> None:
    bad_quotas = QUOTAS.replace("Age,30-64,1,3", "Age,30-64,x,3").encode()
    bad_people = PEOPLE.replace("p5,Eve,Woman", "p4,Eve,Woman").replace("Dan,Man", "Dan,Mann")
    problems = problems_of(load_instance, bad_quotas, bad_people.encode(), 0,
                           address_columns=("street", "zip"))
    assert {(p.file, p.row, p.column) for p in problems} == {
        ("quotas.csv", 5, "min"),
        ("people.csv", 1, "zip"),
        ("people.csv", 5, "gender"),
        ("people.csv", 6, "id"),
        ("", None, None),  # the panel size
    }


def test_load_instance_checks_people_even_when_the_quotas_header_is_broken() -> None:
    problems = problems_of(load_instance, b"feature,min,max\nAge,1,2\n",
                           b"id,gender\n1,Man\n1,Man\n", 5)
    assert {(p.file, p.row, p.column) for p in problems} == {
        ("quotas.csv", 1, "value"), ("people.csv", 3, "id")}


def test_load_instance_reports_instance_problems_once_files_are_good() -> None:
    problems = problems_of(load_instance, QUOTAS.encode(), PEOPLE.encode(), 3)
    assert len(problems) == 1 and "Gender add up to between 4 and 6" in problems[0].message


def test_households_need_address_columns() -> None:
    problems = problems_of(load_instance, QUOTAS.encode(), PEOPLE.encode(), 5,
                           one_per_household=True)
    assert len(problems) == 1 and "needs address columns" in problems[0].message


def test_load_instance_reads_a_synthetic_pool_of_five_thousand() -> None:
    synthetic = make_pool(5000, 100, households=True, seed=2)
    loaded = load_instance(synthetic.quotas_csv(), synthetic.people_csv(), 100,
                           address_columns=ADDRESS_COLUMNS, one_per_household=True)
    assert loaded.pool.ids == synthetic.ids
    assert np.array_equal(loaded.pool.categories, synthetic.pool().categories)
    assert loaded.quotas.categories == tuple(
        Category(c.feature, c.value, c.min, c.max, c.min_flex,
                 c.max if c.max_flex is None else c.max_flex)
        for c in synthetic.quotas.categories)


def test_no_pool_escapes_when_a_file_has_a_problem() -> None:
    results: list[Pool] = []
    bad = PEOPLE.replace("p6,Fay,Man,65+", "p6,Fay,Man,99+").encode()
    with pytest.raises(InputError):
        results.append(read_people(bad, quotas()))
    with pytest.raises(InputError):
        load_instance(QUOTAS.encode(), bad, 5)
    assert results == []
