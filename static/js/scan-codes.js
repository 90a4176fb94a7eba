// What a scanned or typed text points at. Mirrors labels/payloads.py parse_url:
//   <base>/l/<lot>, <base>/d/<depot>[?shelf=A-03], <base>/o/<order> (codes percent-encoded), the same
//   paths without the base, or a bare code (a lot, or a depot the keeper keeps).
// Returns {kind: "lot"|"depot"|"order"|"any", code, shelf} or {error: "empty"|"foreign"|"malformed", detail}.

const MAX_LENGTH = { lot: 48, depot: 32, order: 48, any: 48 };
const KINDS = { l: "lot", d: "depot", o: "order" };
const SHELF = /^[A-Z0-9]+(?:-[A-Z0-9]+)*$/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]/;

function bad(error, detail) {
  return { error, detail };
}

function checked(kind, code, shelf = null) {
  if (code === "") return bad("malformed", "empty code");
  if (code.length > MAX_LENGTH[kind]) return bad("malformed", `a ${kind} code has at most ${MAX_LENGTH[kind]} characters`);
  if (code !== code.trim() || CONTROL.test(code)) return bad("malformed", "spaces or control characters around or in the code");
  return { kind, code, shelf };
}

function fromPath(path, query) {
  const match = /^\/([ldo])\/([^/]+)$/.exec(path);
  if (!match) return bad("malformed", "not /l/, /d/ or /o/ followed by a code");
  const kind = KINDS[match[1]];
  let code;
  try {
    code = decodeURIComponent(match[2]);
  } catch (e) {
    return bad("malformed", "broken percent-encoding");
  }
  let shelf = null;
  if (query) {
    const params = new URLSearchParams(query);
    const keys = [...params.keys()];
    if (kind !== "depot" || keys.length !== 1 || keys[0] !== "shelf") return bad("malformed", "unexpected query");
    shelf = params.get("shelf").trim().toUpperCase();
    if (!SHELF.test(shelf) || shelf.length > 16) return bad("malformed", "not a shelf number");
  }
  return checked(kind, code, shelf);
}

export function parseScan(text, base, here = globalThis.location ? globalThis.location.origin : null) {
  const raw = (text || "").replace(/^[\s\u0000-\u001f]+|[\s\u0000-\u001f]+$/g, "");
  if (!raw) return bad("empty", "nothing was scanned");
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) {
    if (!/^[\x20-\x7e]+$/.test(raw)) return bad("malformed", "a label URL is ASCII only");
    let url;
    try {
      url = new URL(raw);
    } catch (e) {
      return bad("malformed", "not a URL");
    }
    const ours = base ? new URL(base) : null;
    const prefix = ours ? ours.pathname.replace(/\/$/, "") : "";
    const sameSite = (ours && url.origin === ours.origin) || url.origin === here;
    if (!sameSite || (prefix && !url.pathname.startsWith(prefix + "/"))) {
      return bad("foreign", `${url.origin} is not this installation`);
    }
    const path = prefix && url.origin === (ours && ours.origin) ? url.pathname.slice(prefix.length) : url.pathname;
    if (url.hash) return bad("malformed", "unexpected fragment");
    return fromPath(path, url.search.slice(1));
  }
  if (raw.startsWith("/")) {
    const [path, query] = raw.split("?", 2);
    return fromPath(path, query);
  }
  return checked("any", raw);
}
