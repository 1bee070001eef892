"""The front-end kit's rules (DESIGN.md "Front end"), checked on the files themselves."""

import re
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
STATIC = ROOT / "static"
SOCKET_MODULE = STATIC / "js" / "socket.js"


def our_scripts() -> list[Path]:
    return [path for path in STATIC.rglob("*.js") if "vendor" not in path.parts]


def test_only_the_socket_module_opens_websockets() -> None:
    opening = [str(path.relative_to(ROOT)) for path in our_scripts()
               if path != SOCKET_MODULE and re.search(r"new\s+(window\.)?WebSocket\b", path.read_text())]
    assert opening == []
    users = {str(path.relative_to(STATIC)) for path in our_scripts()
             if path != SOCKET_MODULE and "/js/socket.js\"" in path.read_text()}
    assert users == {"chat/console.js", "chat/state.js", "chat/transport.js", "desk/shell.js", "tickets/desk.js"}


LIVE_SCRIPT_TAG = re.compile(r"<script[^>]*(?:chat/chat|chat/console|tickets/desk|desk/shell)\.js[^>]*>")


def test_live_pages_load_their_scripts_as_modules() -> None:
    for template in ROOT.glob("templates/**/*.html"):
        for tag in LIVE_SCRIPT_TAG.findall(template.read_text()):
            assert 'type="module"' in tag, (template, tag)


def test_no_inline_scripts_in_templates() -> None:
    # The Content-Security-Policy refuses inline code anyway; data goes in json_script blocks.
    inline = [str(path.relative_to(ROOT)) for path in ROOT.glob("templates/**/*.html")
              if re.search(r"<script(?![^>]*\b(src|type=\"application/json\"))[^>]*>", path.read_text())]
    assert inline == []
