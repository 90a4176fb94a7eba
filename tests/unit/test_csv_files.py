"""Reading the CSV files people upload (affected sites, travel times): whatever the bytes, a 422 naming
the file, never a crash."""
import pytest

from common.errors import InvalidInput
from dispatch.importers import read_csv

COLUMNS = ("depot", "site", "minutes")


def test_old_mac_line_ends_are_read_as_line_ends():
    assert read_csv(b"depot,site,minutes\rC1,T1-V1,5\r", COLUMNS) == [{"depot": "C1", "site": "T1-V1", "minutes": "5"}]


def test_a_lone_carriage_return_is_a_missing_header_not_a_crash():
    with pytest.raises(InvalidInput) as e:
        read_csv(b"\r0", COLUMNS)
    assert e.value.field == "file" and e.value.message_code == "file_header_missing"


def test_a_field_beyond_the_csv_modules_limit_is_refused_naming_the_file():
    with pytest.raises(InvalidInput) as e:
        read_csv(b'depot,site,minutes\nC1,"' + b"x" * 200_000 + b'",5\n', COLUMNS)
    assert e.value.field == "file" and e.value.message_code == "file_unreadable"
    assert "field larger than field limit" in e.value.params["problem"]


def test_a_nul_in_a_cell_is_refused_naming_the_file():
    with pytest.raises(InvalidInput) as e:
        read_csv(b"depot,site,minutes\nC1,T1-V1,5\nC1,T1\x00,5\n", COLUMNS)
    assert e.value.field == "file" and e.value.message_code == "file_has_nul"


def test_a_lone_surrogate_is_not_utf8_text():
    with pytest.raises(InvalidInput) as e:
        read_csv("depot,site,minutes\nC1,T1\ud800,5\n".encode("utf-8", "surrogatepass"), COLUMNS)
    assert e.value.field == "file" and e.value.message_code == "file_not_utf8"
