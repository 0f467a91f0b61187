"""The simulator's own PDU codec, checked by round trips and against python-gsmmodem-new's codec."""

import datetime

import pytest
from gsmmodem import pdu as lib
from hypothesis import given, settings
from hypothesis import strategies as st

from vigie.daemon.simulator import pdu as codec

GSM7_CHARS = codec.GSM7_BASIC.replace("\x1b", "") + "".join(codec.GSM7_EXTENSION.values())
FRENCH = [
    "Vol à l'étalage signalé à Sées, soyez vigilants",
    "Fête de la forêt : ça commence, œuvre « Noël » à Alençon",
    "Prix : 5€ [promo] {x} ~ | \\ ^",
]


def joined(pdus):
    return "".join(codec.decode_submit(p).text for p in pdus)


@pytest.mark.parametrize("text", FRENCH + ["A" * 160, "A" * 161, "€" * 80, "é" * 459, "ç" * 70, "ç" * 71, "œ" * 400],
                         ids=["fr1", "fr2", "ext", "a160", "a161", "euro80", "e459", "c70", "c71", "oe400"])
def test_library_submit_pdus_decode_to_the_original_text(text):
    pdus = lib.encodeSmsSubmitPdu("+33612345678", text, reference=9)
    decoded = [codec.decode_submit(str(p)) for p in pdus]
    assert "".join(d.text for d in decoded) == text
    for i, d in enumerate(decoded, 1):
        assert d.to == "+33612345678"
        assert d.status_report is True
        assert d.tpdu_length == p_len(pdus[i - 1])
        if len(pdus) > 1:
            assert (d.part, d.parts) == (i, len(pdus))
            assert d.ref is not None
        else:
            assert d.ref is None and (d.part, d.parts) == (1, 1)
    expected = "gsm7" if codec.is_gsm7(text) else "ucs2"
    assert {d.encoding for d in decoded} == {expected}


def p_len(p):
    return p.tpduLength


def test_extension_characters_count_two_septets_and_survive():
    septets = codec.gsm7_septets("€[")
    assert septets == [0x1B, 0x65, 0x1B, 0x3C]
    assert codec.gsm7_text(septets) == "€["
    with pytest.raises(ValueError):
        codec.gsm7_septets("œ")


LIB_FILL0_BUG = pytest.mark.xfail(strict=True, reason=(
    "gsmmodem.pdu._decodeUserData always skips one octet after a GSM-7 user data header: with a 16-bit "
    "reference the header is 7 octets = 8 septets exactly (no fill bits) and the library loses text"))


@pytest.mark.parametrize("ref16", [False, True])
@pytest.mark.parametrize("text", ["B" * 300, "€" * 100 + "x", "ê" * 150], ids=["gsm7", "euro", "ucs2"])
def test_own_concatenated_submit_is_read_by_the_library(text, ref16, request):
    if ref16 and codec.is_gsm7(text):
        request.applymarker(LIB_FILL0_BUG)
    pdus = codec.encode_submit("+33700000001", text, ref=0x1234 if ref16 else 0x34, ref16=ref16)
    assert len(pdus) > 1
    parts = [lib.decodeSmsPdu(p) for p in pdus]
    assert "".join(p["text"] for p in parts) == text
    mine = [codec.decode_submit(p) for p in pdus]
    assert [m.part for m in mine] == list(range(1, len(pdus) + 1))
    assert {m.ref for m in mine} == {0x1234 if ref16 else 0x34}
    iei = {ie.id for p in parts for ie in p["udh"]}
    assert iei == {codec.IE_CONCAT_16 if ref16 else codec.IE_CONCAT_8}


@pytest.mark.parametrize("header_len", [5, 6, 7, 8, 9, 10, 11, 12])
@pytest.mark.parametrize("length", [1, 2, 6, 7, 8, 13])
def test_fill_bits_after_a_header_of_any_length(header_len, length):
    """Every header length gives a different septet alignment; packing and unpacking must agree."""
    text = "abcdefghijklm"[:length]
    header = bytes([0x24, header_len - 3] + [0x41] * (header_len - 3))  # one IE whose size we choose
    hdr = bytes([len(header)]) + header
    udl, ud = codec._user_data(text, "gsm7", header)
    decoded, udh = codec._decode_user_data(ud, udl, True, "gsm7")
    assert decoded == text
    assert udh == [(0x24, bytes([0x41] * (header_len - 3)))]
    assert ud[:len(hdr)] == hdr


def test_validity_period_and_national_number_are_parsed():
    pdus = lib.encodeSmsSubmitPdu("0612345678", "Hi", validity=datetime.timedelta(hours=1), requestStatusReport=False)
    d = codec.decode_submit(str(pdus[0]))
    assert d.to == "0612345678"
    assert d.validity == 11          # (11 + 1) * 5 minutes
    assert d.status_report is False and d.text == "Hi"


def test_smsc_prefix_is_skipped():
    pdus = lib.encodeSmsSubmitPdu("+33612345678", "with smsc", smsc="+33689004000")
    d = codec.decode_submit(str(pdus[0]))
    assert d.smsc == "+33689004000" and d.text == "with smsc"


def test_garbage_is_a_pdu_error():
    for bad in ("zz", "0011", "00010003", ""):
        with pytest.raises(codec.PduError):
            codec.decode_submit(bad)


def test_deliver_pdus_are_decoded_by_the_library():
    now = 1_764_405_000
    for text in FRENCH + ["x" * 400]:
        parts = codec.encode_deliver("+33611111111", text, now, ref=42)
        decoded = [lib.decodeSmsPdu(p.hex) for p in parts]
        assert "".join(d["text"] for d in decoded) == text
        assert {d["number"] for d in decoded} == {"+33611111111"}
        assert all(d["type"] == "SMS-DELIVER" for d in decoded)
        assert all(d["tpdu_length"] == p.tpdu_length for d, p in zip(decoded, parts))
        assert decoded[0]["time"].timestamp() == now
        mine = [codec.decode_deliver(p.hex) for p in parts]
        assert "".join(m["text"] for m in mine) == text
    assert lib.decodeSmsPdu(codec.encode_deliver("Orange", "Info", now)[0].hex)["number"] == "Orange"


def test_status_report_fields_for_the_library():
    rep = codec.encode_status_report(255, "+33612345678", 1_764_405_000, 1_764_405_007, 0x43)
    d = lib.decodeSmsPdu(rep.hex)
    assert d["type"] == "SMS-STATUS-REPORT"
    assert (d["reference"], d["number"], d["status"]) == (255, "+33612345678", 0x43)
    assert d["time"].timestamp() == 1_764_405_000 and d["discharge"].timestamp() == 1_764_405_007
    assert d["tpdu_length"] == rep.tpdu_length


def test_timestamp_time_zone_is_encoded_in_quarter_hours(monkeypatch):
    monkeypatch.setenv("TZ", "America/St_Johns")   # UTC-3:30 in winter: a negative, non-integer offset
    import time
    time.tzset()
    try:
        stamp = codec.encode_timestamp(1_764_405_000)
        assert codec.decode_timestamp(stamp).timestamp() == 1_764_405_000
        assert lib._decodeTimestamp(iter(stamp)).timestamp() == 1_764_405_000
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=GSM7_CHARS, min_size=1, max_size=500))
def test_gsm7_round_trip_through_both_codecs(text):
    assert joined(codec.encode_submit("+33612345678", text, ref=7)) == text
    assert joined([str(p) for p in lib.encodeSmsSubmitPdu("+33612345678", text)]) == text


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFFFF,
                                      blacklist_categories=("Cs",)), min_size=1, max_size=300))
def test_ucs2_round_trip_through_both_codecs(text):
    pdus = codec.encode_submit("+33612345678", text, encoding="ucs2", ref=3)
    assert joined(pdus) == text
    assert "".join(lib.decodeSmsPdu(p)["text"] for p in pdus) == text
