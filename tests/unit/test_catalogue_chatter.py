"""Normal start-up chatter is recognised as harmless, so transcripts do not list it as not understood."""
import pytest

from lmdoctor.checks.flexnet.catalogue import classify

LINES = {
    "1:56:05 (lmgrd) Copyright (c) 1988-2013 Flexera Software LLC. All Rights Reserved.": "log.copyright",
    "1:56:11 (adskflex) EXTERNAL FILTERS are OFF": "log.external-filters",
    "1:56:05 (adskflex) FlexNet Licensing version v11.12.0.0 build 136775 x64_n6": "log.vendor-flexnet-version",
}


@pytest.mark.parametrize("line", sorted(LINES))
def test_chatter_is_recognised_and_ignorable(line):
    m = classify(line)
    assert m is not None and m.entry.id == LINES[line]
    assert m.entry.ignorable and m.entry.status == "info"


def test_version_is_captured():
    m = classify("1:56:05 (sigasi) FlexNet Licensing version v11.16.4.0 build 1 x64_lsb")
    assert m.groups["version"] == "v11.16.4.0"


def test_an_orderly_stop_is_recognised_as_a_shutdown_not_chatter():
    from lmdoctor.checks.flexnet.catalogue import Cause

    m = classify("9:00:00 (lmgrd) Shutting down sigasi pid=4242 because of signal 15")
    assert m.entry.id == "log.shutdown-signal" and m.entry.cause is Cause.SHUTDOWN
    assert m.entry.status == "info" and not m.entry.fatal
    assert m.groups == {"vendor": "sigasi", "signal": "15"}
