"""Every check and every fix of the manual's Troubleshooting section is covered by a node.

The table quotes each item of the seed manual (its Troubleshooting section, the two
checklists and the typical error messages) and names the node that covers it, plus a
phrase that node must contain. A missing node, or a node that no longer says it, fails.
"""
from __future__ import annotations

import pytest

from lmdoctor.checks.tree import load_tree
from tests.conftest import shared_root

SEED = shared_root() / "seed" / "license-server-management.md"

# (manual item, quoted from the seed) -> (node id, phrase the node's text must contain)
COVERAGE = [
    # "If your license key does not work, the first things to check are:"
    ("Which version of the Sigasi license daemon are you using?", "S1.6", "Which version of the Sigasi license daemon"),
    ("The Sigasi 2 daemon needs to be updated to run Sigasi 3", "S4.1", "Sigasi 2 daemon must be updated"),
    ("Is the MAC address correct?", "S1.3", "Is the MAC address correct"),
    ("Since Sigasi Studio 4.3 ... uses the `ip` command", "S1.4", "Sigasi Studio 4.3 and later use `ip`"),
    ("older than 4.3 ... install additional packages to obtain the `ifconfig` command",
     "S1.4.1", "older than version 4.3"),
    ("On Arch, Debian or Ubuntu Linux, the \"net-tools\" package is needed.", "S1.12", "\"net-tools\" package"),
    ("On (Open)Suse the \"net-tools-deprecated\" package is needed.", "S1.12", "net-tools-deprecated"),
    ("Has the license expired?", "S1.2", "Has the license expired"),
    ("Did you copy the license string exactly as it was sent to you?", "S1.1", "copy the license string exactly"),
    ("Did you accidentally try to use a License Token as a license key?", "S1", "License Token"),
    ("A License Token is a 24 character string ... Activate Your License Key", "S1.8", "activate-your-license-key"),
    # "If your floating license server does not function properly, try the following steps:"
    ("Start the FlexLM daemon with the `-z` option", "S5.10", "-z option"),
    ("Run `lmutil[.exe] lmdiag -c \"<port>@<server>\" -n`", "S5.3", "lmdiag -c"),
    ("If the server is running correctly, you should see a description of the valid FlexNet features",
     "S5.3", "description of the valid FlexNet features"),
    ("Download the daemon zip file on the client machine", "S5.3", "on the client machine"),
    ("Make sure the server name in the license key file is correct.",
     "S5.11", "server name in the license key file is correct"),
    ("Make sure both the Sigasi and FlexNet daemon are the same version", "S5.13", "same version"),
    ("If you need to mix versions, the FlexNet daemon version should be equal to or higher",
     "S5.30", "equal to or higher"),
    ("Firewall: make sure that the port for the Sigasi FlexLM license daemon is open",
     "S5.24", "port for the Sigasi FlexLM license daemon"),
    ("force the port ... adding USE_SERVER and DAEMON sigasi port=<port number>", "S5.23", "USE_SERVER"),
    ("install lsb to avoid `No such file or directory` errors", "S10.2", "No such file or directory"),
    ("sudo apt-get install lsb-core", "S10.2", "apt-get install lsb-core"),
    ("zypper in lsb", "S10.2", "zypper in lsb"),
    ("yum install lsb", "S10.2", "yum install lsb"),
    ("yum install redhat-lsb.i686", "S10.2", "redhat-lsb.i686"),
    ("If the installation of `lsb-core` fails (e.g. on Debian Linux 10)", "S10.1", "Debian 10"),
    ("cd /lib64; ln -s ld-linux-x86-64.so.2 ld-lsb-x86-64.so.3",
     "S10.3", "ln -s ld-linux-x86-64.so.2 ld-lsb-x86-64.so.3"),
    ("The `lmgrd` license manager needs to have write access to the `/usr/tmp/` path",
     "S11.1", "write access to the /usr/tmp/"),
    ("ln -s /tmp /usr/tmp", "S11.1", "ln -s /tmp /usr/tmp"),
    ("You can not have spaces in the daemon path.", "S5.27", "spaces in the daemon path"),
    ("arbitrary absolute path for the Sigasi daemon on Windows ... only works in the C:\\Sigasi folder",
     "S5.28", "C:\\Sigasi folder"),
    ("not allowed to have the directory name being the same as the daemon name",
     "S5.29", "c:\\flexlm\\vhdl_editor\\sigasi.exe"),
    ("Make sure the environment variable is correct: SIGASI_LM_LICENSE_FILE=<port number>@<servername>",
     "S5.5", "SIGASI_LM_LICENSE_FILE=<port number>@<servername>"),
    ("Verify that your server meets the License Server System Requirements",
     "S8.1", "License Server System Requirements"),
    ("CreateProcess error code: 0xc1 File= sigasi.exe", "S8.1", "CreateProcess error code: 0xc1"),
    ("check the status of your license via the License Key preference page ... type and expiration date",
     "S5.7", "type and expiration date"),
    ("SSH tunnel, try using `127.0.0.1` instead of `localhost`", "S5.25", "127.0.0.1 instead of localhost"),
    ("UNSUPPORTED ... warning messages ... can be safely ignored", "S16.1", "safely ignored"),
    ("If the steps above do not help, feel free to send email ... screenshot of the license dialog",
     "S5.31", "screenshot of the license dialog"),
    # "Typical error messages"
    ("Check the content of the Sigasi License preference page via Window > Preferences > Sigasi > License Key",
     "S5.7", "Window > Preferences > Sigasi > License Key"),
    ("No license: Is a valid license key path configured (or are valid environment variables used)?",
     "S2", "valid license key path configured"),
    ("No license: Is the user trying to use a Sigasi Studio 3 license in Sigasi 2.x?",
     "S2.1", "Sigasi Studio 3 (or later) license in Sigasi 2.x"),
    ("Invalid license key (inconsistent authentication code): Did you correct the server name",
     "S3", "correct the server name"),
    ("Internal Flexlm Error: Check version number of FlexNet daemon, it is probably outdated.",
     "S4.3", "older than the FlexLM version"),
    ("Internal Flexlm Error: If not, check the daemon log on the license server", "S4.2", "check the daemon log"),
    ("Invalid Message Received From License Server: Check the daemon log on the license server",
     "S6", "Check the daemon log on the license server"),
    ("Updating DACL Failed: bug in lmtools.exe version 11 ... older version of lmtools",
     "S7.1", "download.sigasi.com/flexnet/lmtools.zip"),
    ("No SERVER lines in license file ... -13,66: Double check you license file contains line with USE_SERVER",
     "S9.1", "USE_SERVER"),
    ("Exiting due to signal 32: running multiple instances of license server",
     "S12", "multiple instances of the license server"),
    ("first make sure to stop lmtools.exe, lmgrd.exe, and sigasi.exe",
     "S12.1", "stop lmtools.exe, lmgrd.exe and sigasi.exe"),
    ("rename the folder C:\\FlexLM\\ to something else, such as C:\\LMFlex\\", "S12.3", "C:\\LMFlex\\"),
    ("After renaming the folder, also update the path that you set in lmtools \"Config Services\" tab",
     "S12.3", "Config Services"),
    # Setup items the fixes rely on
    ("You can change the port numbers and your_server_name1 without breaking the signature",
     "S13.1", "does not break the signature"),
    ("replace `your_server_name1` with the name of the machine", "S3.2", "your_server_name1"),
]


def _text(node) -> str:
    parts = [node.title, node.question, node.help, node.diagnosis] + list(node.fix)
    parts += [c.label for c in node.choices]
    return "\n".join(parts)


@pytest.mark.parametrize("item,node_id,phrase", COVERAGE, ids=[f"{n}:{i[:40]}" for i, n, _ in COVERAGE])
def test_manual_item_is_covered(item, node_id, phrase):
    tree = load_tree()
    assert node_id in tree.nodes, f"no node {node_id} for manual item {item!r}"
    assert phrase.lower() in _text(tree.nodes[node_id]).lower(), f"{node_id} does not cover {item!r}"


def test_covering_nodes_are_reachable_from_the_right_symptoms():
    tree = load_tree()

    def reach(start):
        seen, todo = set(), [start]
        while todo:
            n = todo.pop()
            if n not in seen:
                seen.add(n)
                todo.extend(tree.nodes[n].successors())
        return seen

    key = reach("S1")
    server = reach("S5")
    for nid in ("S1", "S1.1", "S1.2", "S1.3", "S1.4", "S1.6", "S1.8", "S1.12"):
        assert nid in key
    for nid in ("S5.3", "S5.10", "S5.11", "S5.13", "S5.23", "S5.24", "S5.25", "S5.27", "S5.28", "S5.29",
                "S10.2", "S10.3", "S11.1", "S8.1", "S12.1"):
        assert nid in server, nid


def test_every_quoted_typical_error_message_has_a_symptom(realworld):
    # The seed's "Typical error messages" quotes (lines starting with '>') each name a symptom.
    text = SEED.read_text(encoding="utf-8")
    section = text.split("## Typical error messages", 1)[1]
    quotes, block = [], []
    for ln in section.splitlines() + [""]:
        if ln.startswith(">"):
            block.append(ln[1:].strip())
        elif block:
            quotes.append("\n".join(block))  # a multi-line quote is one pasted message
            block = []
    assert len(quotes) == 7  # the seed quotes seven messages
    from lmdoctor.checks.tree.match import match_symptoms

    tree = load_tree()
    for q in quotes:
        r = match_symptoms(tree, q)
        assert r.best is not None, q
