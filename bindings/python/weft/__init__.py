"""weft: an embedded, local-first database (Python binding over the C API).

    import weft
    with weft.open("app.db") as db:
        with db.transaction() as txn:          # commits on exit
            txn.put("todos/1", {"title": "milk", "tags": ["home"]})
            txn.increment("todos/1", "views", 1)
        print(db.get("todos/1"))
        for doc, value in db.find("todos", {"views": {"$gte": 1}}):
            print(doc, value)

Values are what JSON holds — dict, list, str, int, float, bool, None — and
bytes (stored as a byte string; in JSON, {"$bytes": "hex"}).
Errors raise weft.Error (or a subclass, one per status kind: NotFound,
also a KeyError; InvalidArgument, also a ValueError; IOError_, also an
OSError; AlreadyExists, Conflict, Busy, Corruption, NotSupported, Internal)
with the library's message. Paths may be str or os.PathLike (pathlib.Path). The shared library (libweft.so) is found through $WEFT_LIB, else
next to the package, else in the build tree, else where the system's loader
finds it (after `cmake --install`).
"""

import builtins
import ctypes
import ctypes.util
import json
import os
import threading
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

__all__ = [
    "open", "Database", "Transaction", "Server", "Error", "NotFound",
    "InvalidArgument", "AlreadyExists", "Conflict", "Busy", "Corruption",
    "NotSupported", "IOError_", "Internal", "version",
]


class Error(Exception):
    """A weft error: `code` is the C API's weft_code, str() the message."""

    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code = code

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class NotFound(Error, KeyError):
    """No such document, value, view or change (also a KeyError)."""


class Corruption(Error):
    """Stored or received bytes fail their checks."""


class NotSupported(Error):
    """A format version or feature this build does not know."""


class InvalidArgument(Error, ValueError):
    """A malformed argument: path, JSON, definition (also a ValueError)."""


class IOError_(Error, OSError):
    """The disk or the network failed (also an OSError)."""


class AlreadyExists(Error):
    """A view, change or database that already exists."""


class Conflict(Error):
    """The heads moved since ExpectHeads (optimistic concurrency)."""


class Busy(Error):
    """Another holder has the database, or a view is still building."""


class Internal(Error):
    """A bug in weft: please report it with the message."""


_ERRORS = {1: NotFound, 2: Corruption, 3: NotSupported, 4: InvalidArgument,
           5: IOError_, 6: AlreadyExists, 7: Conflict, 8: Busy, 9: Internal}


def _load() -> ctypes.CDLL:
    here = os.path.dirname(os.path.abspath(__file__))
    candidates = [os.environ.get("WEFT_LIB", ""),
                  os.path.join(here, "libweft.so"),
                  # cmake --install: PREFIX/lib/python3/dist-packages/weft
                  os.path.join(here, "..", "..", "..", "libweft.so"),
                  os.path.join(here, "..", "..", "..", "build", "release",
                               "lib", "libweft.so")]
    for path in candidates:
        if path and os.path.exists(path):
            return ctypes.CDLL(path)
    # An installed libweft (cmake --install) is found by the loader.
    found = ctypes.util.find_library("weft")
    if found:
        return ctypes.CDLL(found)
    raise ImportError("libweft.so not found: set WEFT_LIB to its path "
                      "(build/release/lib/libweft.so after a build)")


_lib = _load()
_c = ctypes.c_char_p
_p = ctypes.c_void_p
_out = ctypes.POINTER(ctypes.c_void_p)
_CALLBACK = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_char_p)


def _declare(name: str, *args) -> None:
    function = getattr(_lib, name)
    function.argtypes = list(args)
    function.restype = ctypes.c_int


_declare("weft_open_with", _c, _p, _out, _out)
_declare("weft_opts_set_create_if_missing", _p, ctypes.c_int)
_declare("weft_opts_set_sync", _p, ctypes.c_int)
_declare("weft_opts_set_read_only", _p, ctypes.c_int)
_declare("weft_conflicts_json", _p, _c, _c, _out, _out)
_declare("weft_get_json_as_of", _p, _c, _c, _out, _out)
_declare("weft_list", _p, _c, _out, _out)
_declare("weft_begin", _p, _out, _out)
_declare("weft_txn_put_json", _p, _c, _c, _out)
_declare("weft_txn_set_json", _p, _c, _c, _c, _out)
_declare("weft_txn_delete", _p, _c, _c, _out)
_declare("weft_txn_increment", _p, _c, _c, ctypes.c_int64, _out)
_declare("weft_txn_set_add", _p, _c, _c, _c, _out)
_declare("weft_txn_set_remove", _p, _c, _c, _c, _out)
_declare("weft_txn_list_insert", _p, _c, _c, ctypes.c_uint64, _c, _out)
_declare("weft_txn_list_delete", _p, _c, _c, ctypes.c_uint64,
         ctypes.c_uint64, _out)
_declare("weft_txn_splice_text", _p, _c, _c, ctypes.c_uint64,
         ctypes.c_uint64, _c, _out)
_declare("weft_txn_commit", _p, _out, _out)
_declare("weft_get_json", _p, _c, _c, _out, _out)
_declare("weft_find", _p, _c, _c, _c, ctypes.c_int, ctypes.c_uint64, _out,
         _out)
_declare("weft_explain", _p, _c, _c, _out, _out)
_declare("weft_iter_next", _p, _out)
_declare("weft_view_create", _p, _c, _out)
_declare("weft_view_drop", _p, _c, _out)
_declare("weft_view_rebuild", _p, _c, _out)
_declare("weft_view_list", _p, _out, _out)
_declare("weft_view_rows", _p, _c, _out, _out)
_declare("weft_subscribe", _p, _c, _c, _CALLBACK, _p,
         ctypes.POINTER(ctypes.c_uint64), _out)
_declare("weft_unsubscribe", _p, ctypes.c_uint64, _out)
_declare("weft_status", _p, _out, _out)
_declare("weft_heads", _p, _out, _out)
_declare("weft_change_at", _p, ctypes.c_uint64, _out, _out)
_declare("weft_export", _p, _c, _out)
_declare("weft_import", _p, _c, _out)
_declare("weft_sync", _p, _c, ctypes.c_uint16, _c, _out, _out)
_declare("weft_serve", _p, _c, ctypes.c_uint16, _c, _out, _out)
_declare("weft_sync_opts_set_key", _p, _c)
_declare("weft_sync_opts_set_identity_file", _p, _c)
_declare("weft_sync_opts_add_peer", _p, _c, ctypes.c_int, _c, _out)
_declare("weft_sync_opts_add_peers_file", _p, _c, _out)
_declare("weft_sync_with", _p, _c, ctypes.c_uint16, _p, _out, _out)
_declare("weft_serve_with", _p, _c, ctypes.c_uint16, _p, _out, _out)
_declare("weft_server_set_peers", _p, _p, _out)
_declare("weft_identity", _p, _c, _out, _out)
for _name, _res in [("weft_close", None), ("weft_txn_abort", None),
                    ("weft_iter_free", None), ("weft_server_stop", None),
                    ("weft_free", None), ("weft_iter_doc", _c),
                    ("weft_iter_json", _c), ("weft_version", _c),
                    ("weft_server_port", ctypes.c_uint16),
                    ("weft_opts_free", None), ("weft_opts_new", _p),
                    ("weft_sync_opts_free", None),
                    ("weft_sync_opts_new", _p)]:
    getattr(_lib, _name).argtypes = [_p]
    getattr(_lib, _name).restype = _res
_lib.weft_version.argtypes = []
_lib.weft_opts_new.argtypes = []
_lib.weft_sync_opts_new.argtypes = []


def version() -> str:
    """The library's version, "MAJOR.MINOR.PATCH"."""
    return _lib.weft_version().decode()


def _text(value: Optional[str]) -> Optional[bytes]:
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"expected str, got {type(value).__name__}")
    return value.encode("utf-8", "surrogatepass")


def _path(value: Any) -> bytes:
    """A path given as str or os.PathLike (pathlib.Path)."""
    if not isinstance(value, (str, os.PathLike)):
        raise TypeError(f"expected a path, got {type(value).__name__}")
    return os.fsencode(value)


def _key(key: Any) -> Optional[bytes]:
    """A sync key as the CLI takes it: the key itself (str or bytes), or a
    key file (os.PathLike: its text, trailing newlines stripped)."""
    if key is None:
        return None
    if isinstance(key, os.PathLike):
        path = key
        try:
            with builtins.open(path, "rb") as file:
                key = file.read().rstrip(b"\r\n")
        except OSError as error:
            raise IOError_(5, f"cannot read key file: {error}") from error
        if not key:
            raise InvalidArgument(4, f"the key file is empty: {path}")
    if isinstance(key, str):
        key = key.encode("utf-8")
    if not isinstance(key, bytes) or not key or b"\0" in key:
        raise InvalidArgument(4, "a key is non-empty str or bytes without "
                                 "NUL, or a key file's path")
    return key


def _bytes_to_json(value: Any) -> Dict[str, str]:
    # bytes travel as {"$bytes": "hex"}, the form documents render them in.
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"$bytes": bytes(value).hex()}
    raise TypeError(f"{type(value).__name__} is not a weft value")


def _json(value: Any) -> bytes:
    try:
        return json.dumps(value, default=_bytes_to_json,
                          allow_nan=False).encode()
    except (TypeError, ValueError) as error:
        raise TypeError(f"not a JSON value: {error}") from None


def _bytes_from_json(obj: Dict[str, Any]) -> Any:
    if len(obj) == 1 and isinstance(obj.get("$bytes"), str):
        return bytes.fromhex(obj["$bytes"])
    return obj


def _loads(text: str) -> Any:
    return json.loads(text, object_hook=_bytes_from_json)


def _take(pointer: ctypes.c_void_p) -> Optional[str]:
    """Copies a library-owned string and frees it."""
    if not pointer.value:
        return None
    text = ctypes.cast(pointer, ctypes.c_char_p).value.decode()
    _lib.weft_free(pointer)
    return text


def _call(function, *args) -> None:
    error = ctypes.c_void_p()
    code = function(*args, ctypes.byref(error))
    if code != 0:
        message = _take(error) or f"weft error {code}"
        raise _ERRORS.get(code, Error)(code, message)


def _call_out(function, *args) -> Optional[str]:
    out = ctypes.c_void_p()
    _call(function, *args, ctypes.byref(out))
    return _take(out)


class _SyncOptions:
    """weft_sync_opts for one call: the key (as _key takes it), the peers
    (identities, or (identity, may_write[, name]) tuples), a peers file and
    this replica's identity key file."""

    def __init__(self, key: Any = None, peers: Any = None,
                 peers_file: Any = None, identity_file: Any = None):
        self.handle = _lib.weft_sync_opts_new()
        if not self.handle:
            raise MemoryError("weft_sync_opts_new")
        try:
            _lib.weft_sync_opts_set_key(self.handle, _key(key))
            if identity_file is not None:
                _lib.weft_sync_opts_set_identity_file(self.handle,
                                                      _path(identity_file))
            for peer in peers or ():
                identity, may_write, name = (
                    (peer, True, None) if isinstance(peer, str)
                    else (tuple(peer) + (None,))[:3])
                _call(_lib.weft_sync_opts_add_peer, self.handle,
                      _text(identity), int(bool(may_write)), _text(name))
            if peers_file is not None:
                _call(_lib.weft_sync_opts_add_peers_file, self.handle,
                      _path(peers_file))
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        if self.handle:
            _lib.weft_sync_opts_free(self.handle)
            self.handle = None

    def __enter__(self) -> "_SyncOptions":
        return self

    def __exit__(self, *exception) -> None:
        self.close()


class Transaction:
    """Edits that commit together or not at all. As a context manager it
    commits on a normal exit and aborts on an exception."""

    def __init__(self, handle: ctypes.c_void_p, database: "Database"):
        self._handle = handle
        self._database = database  # keeps the database open meanwhile
        self._edited = False
        self.hash: Optional[str] = None

    def _live(self) -> ctypes.c_void_p:
        if not self._handle:
            raise InvalidArgument(4, "the transaction is finished")
        return self._handle

    def _edit(self) -> ctypes.c_void_p:
        handle = self._live()
        self._edited = True
        return handle

    def put(self, doc: str, value: Dict[str, Any]) -> None:
        """Replaces document "collection/key" with a dict."""
        if not isinstance(value, dict):
            raise TypeError("a document is a dict")
        _call(_lib.weft_txn_put_json, self._edit(), _text(doc), _json(value))

    def set(self, doc: str, path: str, value: Any) -> None:
        """Sets the value at a dotted path ("address.city"); maps on the
        way are made. A dict or list value becomes a map or list."""
        _call(_lib.weft_txn_set_json, self._edit(), _text(doc), _text(path),
              _json(value))

    def delete(self, doc: str, path: Optional[str] = None) -> None:
        """Deletes the value at path, or the whole document."""
        _call(_lib.weft_txn_delete, self._edit(), _text(doc), _text(path))

    def increment(self, doc: str, path: str, delta: int = 1) -> None:
        """Adds delta to the counter at path (made if missing)."""
        if not isinstance(delta, int):
            raise TypeError("delta is an int")
        _call(_lib.weft_txn_increment, self._edit(), _text(doc), _text(path),
              delta)

    def set_add(self, doc: str, path: str, member: Any) -> None:
        """Adds a member to the set at path (add-wins on concurrent
        removes)."""
        _call(_lib.weft_txn_set_add, self._edit(), _text(doc), _text(path),
              _json(member))

    def set_remove(self, doc: str, path: str, member: Any) -> None:
        """Removes a member from the set at path."""
        _call(_lib.weft_txn_set_remove, self._edit(), _text(doc), _text(path),
              _json(member))

    def list_insert(self, doc: str, path: str, index: int, value: Any) -> None:
        """Inserts value before position index of the list at path."""
        _call(_lib.weft_txn_list_insert, self._edit(), _text(doc), _text(path),
              index, _json(value))

    def list_delete(self, doc: str, path: str, index: int,
                    count: int = 1) -> None:
        """Deletes count elements of the list at path from index on."""
        _call(_lib.weft_txn_list_delete, self._edit(), _text(doc), _text(path),
              index, count)

    def splice_text(self, doc: str, path: str, position: int,
                    delete_count: int, insert: str) -> None:
        """Edits the text at path: deletes delete_count characters at
        position (in code points), then inserts insert there."""
        _call(_lib.weft_txn_splice_text, self._edit(), _text(doc), _text(path),
              position, delete_count, _text(insert))

    def commit(self) -> str:
        """Commits; returns the change's hash. The transaction is finished
        either way."""
        handle, self._handle = self._live(), None
        self.hash = _call_out(_lib.weft_txn_commit, handle)
        return self.hash

    def abort(self) -> None:
        """Drops every edit. Finishing twice is harmless."""
        if self._handle:
            _lib.weft_txn_abort(self._handle)
            self._handle = None

    def __enter__(self) -> "Transaction":
        return self

    def __exit__(self, kind, value, traceback) -> None:
        # A block that edited nothing commits nothing, and is no error.
        if kind is None and self._handle and self._edited:
            self.commit()
        else:
            self.abort()

    def __del__(self):
        self.abort()


class Server:
    """A sync server on its own thread; stop() (or the with block) ends it."""

    def __init__(self, handle: ctypes.c_void_p, database: "Database"):
        self._handle = handle
        self._database = database  # keeps the database open meanwhile

    @property
    def port(self) -> int:
        """The port it listens on (useful after serving on port 0)."""
        return _lib.weft_server_port(self._handle)

    def set_peers(self, peers: Any = None, peers_file: Any = None) -> None:
        """Replaces the peers let in (as serve takes them); sessions of
        peers no longer let write end."""
        if not self._handle:
            raise InvalidArgument(4, "the server is stopped")
        with _SyncOptions(peers=peers, peers_file=peers_file) as options:
            _call(_lib.weft_server_set_peers, self._handle, options.handle)

    def stop(self) -> None:
        """Stops serving and waits for the thread. Idempotent."""
        if self._handle:
            _lib.weft_server_stop(self._handle)
            self._handle = None

    def __enter__(self) -> "Server":
        return self

    def __exit__(self, *exception) -> None:
        self.stop()


class Database:
    """An open weft database. Use weft.open(path)."""

    def __init__(self, handle: ctypes.c_void_p):
        self._handle = handle
        self._callbacks: Dict[int, Any] = {}
        self._lock = threading.Lock()

    def _live(self) -> ctypes.c_void_p:
        if not self._handle:
            raise InvalidArgument(4, "the database is closed")
        return self._handle

    def close(self) -> None:
        """Closes the database. Idempotent; later calls raise."""
        if self._handle:
            _lib.weft_close(self._handle)
            self._handle = None

    def __enter__(self) -> "Database":
        return self

    def __exit__(self, *exception) -> None:
        self.close()

    def __del__(self):
        self.close()

    def transaction(self) -> Transaction:
        """Starts a transaction (it holds the write lock until it ends)."""
        handle = ctypes.c_void_p()
        _call(_lib.weft_begin, self._live(), ctypes.byref(handle))
        return Transaction(handle, self)

    def put(self, doc: str, value: Dict[str, Any]) -> str:
        """put in a transaction of its own; returns the change's hash."""
        with self.transaction() as txn:
            txn.put(doc, value)
        return txn.hash

    def get(self, doc: str, path: Optional[str] = None) -> Any:
        """The document (or the value at path). NotFound if absent."""
        return _loads(_call_out(_lib.weft_get_json, self._live(),
                                _text(doc), _text(path)))

    def conflicts(self, doc: str, path: str) -> List[Dict[str, Any]]:
        """Every concurrent value at a map key, winner last, as
        {"id": "counter@actor", "value": ...}. NotFound if unset."""
        return _loads(_call_out(_lib.weft_conflicts_json, self._live(),
                                _text(doc), _text(path)))

    def get_as_of(self, doc: str, change: str) -> Any:
        """The document as it was once change `change` (a full hex hash)
        and its ancestors were applied."""
        return _loads(_call_out(_lib.weft_get_json_as_of, self._live(),
                                _text(doc), _text(change)))

    def collections(self) -> List[str]:
        """The collections that hold documents, sorted."""
        return _loads(_call_out(_lib.weft_list, self._live(), None))

    def keys(self, collection: str) -> List[str]:
        """The keys of the existing documents of a collection, sorted."""
        return _loads(_call_out(_lib.weft_list, self._live(),
                                _text(collection)))

    def delete(self, doc: str, path: Optional[str] = None) -> str:
        """Deletes a document (or the value at path) in a transaction of
        its own; returns the change's hash."""
        with self.transaction() as txn:
            txn.delete(doc, path)
        return txn.hash

    def find(self, collection: str, where: Optional[Dict[str, Any]] = None,
             order_by: Optional[str] = None, descending: bool = False,
             limit: int = 0) -> Iterator[Tuple[str, Dict[str, Any]]]:
        """(doc, value) of the matching documents, streamed."""
        handle = ctypes.c_void_p()
        _call(_lib.weft_find, self._live(), _text(collection),
              None if where is None else _json(where), _text(order_by),
              1 if descending else 0, limit, ctypes.byref(handle))
        try:
            while True:
                error = ctypes.c_void_p()
                step = _lib.weft_iter_next(handle, ctypes.byref(error))
                if step < 0:
                    raise _ERRORS.get(-step, Error)(-step, _take(error))
                if step == 0:
                    return
                yield (_lib.weft_iter_doc(handle).decode(),
                       _loads(_lib.weft_iter_json(handle)))
        finally:
            _lib.weft_iter_free(handle)

    def explain(self, collection: str,
                where: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
        """How find() would run: index or scan, and why."""
        return _loads(_call_out(
            _lib.weft_explain, self._live(), _text(collection),
            None if where is None else _json(where)))

    def create_view(self, definition: Dict[str, Any]) -> None:
        """Declares a view (index, aggregate or projection) and builds it."""
        _call(_lib.weft_view_create, self._live(), _json(definition))

    def drop_view(self, name: str) -> None:
        """Removes a view and its rows."""
        _call(_lib.weft_view_drop, self._live(), _text(name))

    def rebuild_view(self, name: str) -> None:
        """Rebuilds a view's rows from the documents."""
        _call(_lib.weft_view_rebuild, self._live(), _text(name))

    def views(self) -> List[Dict[str, Any]]:
        """The declared views with their state."""
        return _loads(_call_out(_lib.weft_view_list, self._live()))

    def view_rows(self, name: str) -> List[Dict[str, Any]]:
        """A view's rows, in key order."""
        return _loads(_call_out(_lib.weft_view_rows, self._live(),
                                _text(name)))

    def subscribe(self, kind: str, name: str,
                  callback: Callable[[Dict[str, Any]], None]) -> int:
        """Calls callback(event) for each committed change touching a
        "document", "collection" or "view" (or, with kind "all", for
        every change, without document states); returns an id."""
        def trampoline(_user_data, event_json):
            callback(_loads(event_json))
        c_callback = _CALLBACK(trampoline)
        sub_id = ctypes.c_uint64()
        _call(_lib.weft_subscribe, self._live(), _text(kind), _text(name),
              c_callback, None, ctypes.byref(sub_id))
        with self._lock:  # the C callback must outlive the subscription
            self._callbacks[sub_id.value] = c_callback
        return sub_id.value

    def unsubscribe(self, sub_id: int) -> None:
        """Ends a subscription; its callback is not called again."""
        _call(_lib.weft_unsubscribe, self._live(), sub_id)
        with self._lock:
            self._callbacks.pop(sub_id, None)

    def status(self) -> Dict[str, Any]:
        """Log length, heads, actors, views and their lag, size on disk."""
        return _loads(_call_out(_lib.weft_status, self._live()))

    def heads(self) -> List[str]:
        """The hashes of the changes nothing else builds on yet."""
        return _loads(_call_out(_lib.weft_heads, self._live()))

    def log(self) -> Iterator[Dict[str, Any]]:
        """The log's changes, oldest first."""
        for position in range(1, self.status()["log_length"] + 1):
            yield _loads(_call_out(_lib.weft_change_at, self._live(),
                                   position))

    def export(self, path: str) -> None:
        """Writes a self-verifying bundle of the whole log to path."""
        _call(_lib.weft_export, self._live(), _path(path))

    def import_(self, path: str) -> None:
        """Merges a bundle (verified first; importing twice changes
        nothing)."""
        _call(_lib.weft_import, self._live(), _path(path))

    def identity(self, identity_file: Any = None) -> str:
        """This replica's identity, for its peers to list (its key file,
        identity.key in the database folder unless given, is made if
        missing)."""
        file = None if identity_file is None else _path(identity_file)
        return _call_out(_lib.weft_identity, self._live(), file) or ""

    def sync(self, host: str, port: int, key: Any = None, peers: Any = None,
             identity_file: Any = None) -> Dict[str, Any]:
        """Syncs once with a server; returns the exchange's figures.
        peers: the server's identity (or a list of them): then over TLS,
        with that server only (README "Securing sync")."""
        if isinstance(peers, str):
            peers = [peers]
        with _SyncOptions(key, peers, None, identity_file) as options:
            return _loads(_call_out(_lib.weft_sync_with, self._live(),
                                    _text(host), port, options.handle))

    def serve(self, address: str = "127.0.0.1", port: int = 0,
              key: Any = None, peers: Any = None, peers_file: Any = None,
              identity_file: Any = None) -> Server:
        """Serves sync on address:port (port 0: any free one). With peers
        (identities, or (identity, may_write[, name]) tuples) or a peers
        file: over TLS, to those only, on any address; without them or a
        key only loopback addresses are allowed."""
        handle = ctypes.c_void_p()
        with _SyncOptions(key, peers, peers_file, identity_file) as options:
            _call(_lib.weft_serve_with, self._live(), _text(address), port,
                  options.handle, ctypes.byref(handle))
        return Server(handle, self)


def open(path: Any, create_if_missing: bool = True, sync: bool = False,
         read_only: bool = False) -> Database:
    """Opens (or creates) the database in folder `path` (str or
    pathlib.Path). read_only: reads only, beside a process that writes;
    every write raises NotSupported."""
    options = _lib.weft_opts_new()
    if not options:
        raise MemoryError("weft_opts_new")
    try:
        _lib.weft_opts_set_create_if_missing(options, int(create_if_missing))
        _lib.weft_opts_set_sync(options, int(sync))
        _lib.weft_opts_set_read_only(options, int(read_only))
        handle = ctypes.c_void_p()
        _call(_lib.weft_open_with, _path(path), options, ctypes.byref(handle))
    finally:
        _lib.weft_opts_free(options)
    return Database(handle)
