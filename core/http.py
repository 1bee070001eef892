"""JSON over HTTP to providers (SMS gateways, the WeChat API): one small client on the standard library.

urllib is enough for a few JSON calls a minute and keeps a dependency out; what it lacks — refusing
non-web schemes and mapping every failure to one error — is done here, once.
"""

import json
import urllib.error
import urllib.request
from typing import Any


class ProviderError(Exception):
    """The provider could not be reached or did not answer with JSON (the message says which)."""


def request_json(method: str, url: str, *, payload: Any = None, body: bytes | None = None,
                 headers: dict[str, str] | None = None, timeout: float = 10) -> dict[str, Any]:
    """Send `payload` as JSON (or `body`, already encoded — e.g. when it is signed) and read a JSON object."""
    # Only web URLs: urllib would also open file: and ftp: addresses.
    if not url.lower().startswith(("https://", "http://")):
        raise ProviderError(f"only http(s) URLs are supported, not {url[:40]!r}")
    if body is None and payload is not None:
        body = json.dumps(payload, ensure_ascii=False).encode()
    request = urllib.request.Request(url, data=body, method=method, headers={  # noqa: S310 (scheme checked)
        "Content-Type": "application/json; charset=utf-8", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            answer = json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        raise ProviderError(f"HTTP {error.code} from {url[:80]}") from error
    except (urllib.error.URLError, OSError, ValueError) as error:
        raise ProviderError(str(getattr(error, "reason", error))[:300]) from error
    if not isinstance(answer, dict):
        raise ProviderError("the answer is not a JSON object")
    return answer


def request_bytes(url: str, *, timeout: float = 10, limit: int) -> tuple[bytes, str]:
    """GET a file (e.g. a voice clip); (content, content type). Refuses more than `limit` bytes."""
    if not url.lower().startswith(("https://", "http://")):
        raise ProviderError(f"only http(s) URLs are supported, not {url[:40]!r}")
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (scheme checked)
            content = response.read(limit + 1)
            content_type = response.headers.get_content_type()
    except urllib.error.HTTPError as error:
        raise ProviderError(f"HTTP {error.code} from {url[:80]}") from error
    except (urllib.error.URLError, OSError, ValueError) as error:
        raise ProviderError(str(getattr(error, "reason", error))[:300]) from error
    if len(content) > limit:
        raise ProviderError(f"the file is larger than {limit} bytes")
    return content, content_type
