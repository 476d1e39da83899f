"""The Python binding, on real databases in temporary folders."""
import os
import pathlib
import shutil
import subprocess
import tempfile
import unittest

import weft


class WeftTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="weft-py-")
        self.db = weft.open(os.path.join(self.dir, "db"))

    def tearDown(self):
        self.db.close()
        shutil.rmtree(self.dir)

    def test_put_get_and_every_edit(self):
        self.assertRegex(weft.version(), r"^\d+\.\d+\.\d+$")
        with self.db.transaction() as txn:
            txn.put("todo/1", {"title": "milk", "n": 2, "done": False})
            txn.set("todo/1", "address.city", "Oslo")
            txn.increment("todo/1", "votes", 3)
            txn.set_add("todo/1", "tags", "home")
            txn.set_add("todo/1", "tags", "work")
            txn.set_remove("todo/1", "tags", "work")
            txn.list_insert("todo/1", "steps", 0, "go")
            txn.list_insert("todo/1", "steps", 1, 2.5)
            txn.list_delete("todo/1", "steps", 0)
            txn.splice_text("todo/1", "note", 0, 0, "oat ✓")
            txn.delete("todo/1", "n")
        self.assertEqual(len(txn.hash), 64)
        self.assertEqual(self.db.get("todo/1"), {
            "title": "milk", "done": False, "address": {"city": "Oslo"},
            "votes": 3, "tags": ["home"], "steps": [2.5], "note": "oat ✓"})
        self.assertEqual(self.db.get("todo/1", "address.city"), "Oslo")
        self.assertEqual(self.db.heads(), [txn.hash])
        self.assertEqual(next(self.db.log())["hash"], txn.hash)

    def test_exceptions_fit_python(self):
        with self.assertRaises(KeyError):
            self.db.get("todo/none")
        with self.assertRaises(ValueError):
            self.db.get("no-slash")
        for kind in (weft.NotFound, weft.Corruption, weft.NotSupported,
                     weft.InvalidArgument, weft.IOError_, weft.AlreadyExists,
                     weft.Conflict, weft.Busy, weft.Internal):
            self.assertTrue(issubclass(kind, weft.Error), kind)
        self.assertTrue(issubclass(weft.IOError_, OSError))
        try:
            self.db.get("todo/none")
        except weft.NotFound as error:
            self.assertIn("todo/none", str(error))
            self.assertEqual(error.code, 1)
        with self.assertRaises(OSError):
            self.db.import_(pathlib.Path(self.dir) / "no-such-bundle")

    def test_paths_reads_and_deletes(self):
        root = pathlib.Path(self.dir)
        with weft.open(root / "other") as other:
            first = other.put("todo/1", {"title": "milk"})
            other.put("todo/1", {"title": "bread"})
            other.put("note/x", {})
            self.assertEqual(other.get_as_of("todo/1", first),
                             {"title": "milk"})
            self.assertEqual(other.conflicts("todo/1", "title")[-1]["value"],
                             "bread")
            self.assertEqual(other.collections(), ["note", "todo"])
            self.assertEqual(other.keys("todo"), ["1"])
            self.assertEqual(len(other.delete("note/x")), 64)
            self.assertEqual(other.keys("note"), [])
            other.export(root / "bundle")
        self.db.import_(root / "bundle")
        self.assertEqual(self.db.get("todo/1", "title"), "bread")
        with self.db.transaction():   # no edit: commits nothing, no error
            pass
        self.assertEqual(self.db.status()["log_length"], 4)

    def test_read_only_open_reads_and_refuses_writes(self):
        self.db.put("todo/1", {"title": "milk"})
        self.db.close()
        with weft.open(os.path.join(self.dir, "db"), read_only=True) as db:
            self.assertEqual(db.get("todo/1", "title"), "milk")
            with self.assertRaises(weft.NotSupported):
                db.put("todo/2", {})
        self.db = weft.open(os.path.join(self.dir, "db"))

    def test_sync_keys_as_text_bytes_or_a_key_file(self):
        key_file = pathlib.Path(self.dir) / "key"
        key_file.write_text("a shared secret\n")
        self.db.put("todo/1", {"title": "milk"})
        with weft.open(pathlib.Path(self.dir) / "peer") as peer:
            with self.db.serve(key=key_file) as server:
                stats = peer.sync("127.0.0.1", server.port,
                                  key=b"a shared secret")
                self.assertGreaterEqual(stats["changes_received"], 1)
                with self.assertRaises(weft.Error):
                    peer.sync("127.0.0.1", server.port, key="wrong")
            self.assertEqual(peer.get("todo/1", "title"), "milk")
        empty = pathlib.Path(self.dir) / "empty"
        empty.write_text("")
        with self.assertRaises(weft.InvalidArgument):
            self.db.serve(key=empty)

    def test_identities_pin_both_ends_and_grant_read_or_write(self):
        self.db.put("todo/1", {"title": "milk"})
        hub_id = self.db.identity()
        self.assertEqual(len(hub_id), 52)
        self.assertEqual(self.db.identity(), hub_id)
        with weft.open(pathlib.Path(self.dir) / "reader") as reader, \
                weft.open(pathlib.Path(self.dir) / "stranger") as stranger:
            reader.put("notes/r", {"from": "reader"})
            with self.db.serve(peers=[(reader.identity(), False, "kiosk")]) \
                    as server:
                stats = reader.sync("127.0.0.1", server.port, peers=hub_id)
                self.assertEqual(stats["changes_received"], 1)
                self.assertEqual(stats["changes_sent"], 0)
                with self.assertRaises(weft.Error):
                    stranger.sync("127.0.0.1", server.port, peers=hub_id)
                with self.assertRaises(weft.Error):  # plaintext refused
                    reader.sync("127.0.0.1", server.port)
                peers_file = pathlib.Path(self.dir) / "peers"
                peers_file.write_text(f"{stranger.identity()} read-write\n")
                server.set_peers(peers_file=peers_file)
                stranger.sync("127.0.0.1", server.port, peers=[hub_id])
                with self.assertRaises(weft.InvalidArgument):
                    server.set_peers(peers=["not an identity"])
            self.assertEqual(reader.get("todo/1", "title"), "milk")
        with self.assertRaises(weft.NotFound):
            self.db.get("notes/r")
        with self.assertRaises(weft.InvalidArgument):  # a directory
            self.db.identity(identity_file=pathlib.Path(self.dir))

    def test_bytes_values(self):
        blob = bytes([0, 1, 254, 255])
        self.db.put("files/1", {"data": blob, "parts": [b"", b"x"],
                                "name": "raw"})
        self.assertEqual(self.db.get("files/1"), {
            "data": blob, "parts": [b"", b"x"], "name": "raw"})
        self.assertEqual(self.db.get("files/1", "data"), blob)
        with self.db.transaction() as txn:
            txn.set("files/1", "data", bytearray(b"\x07"))
            txn.set_add("files/1", "tags", b"\x00")
        self.assertEqual(self.db.get("files/1", "data"), b"\x07")
        self.assertEqual(self.db.get("files/1", "tags"), [b"\x00"])
        found = list(self.db.find("files", {"data": b"\x07"}))
        self.assertEqual(found, [("files/1", self.db.get("files/1"))])
        with self.assertRaises(TypeError):  # not a weft value
            self.db.put("files/2", {"x": {1, 2}})
        with self.assertRaises(TypeError):  # JSON has no NaN
            self.db.put("files/2", {"x": float("nan")})

    def test_errors_are_exceptions_with_messages(self):
        with self.assertRaises(weft.NotFound) as caught:
            self.db.get("todo/none")
        self.assertIn("no document", str(caught.exception))
        with self.assertRaises(weft.InvalidArgument):
            self.db.put("no-slash", {"a": 1})
        with self.assertRaises(TypeError):
            self.db.put("todo/1", ["not", "a", "dict"])
        with self.assertRaises(TypeError):
            self.db.put("todo/1", {"x": object()})
        with self.assertRaises(TypeError):
            self.db.get(42)
        with self.assertRaises(weft.InvalidArgument):  # invalid UTF-8
            self.db.put("todo/1", {"x": "\ud800"})
        with self.assertRaises(weft.Busy):
            weft.open(os.path.join(self.dir, "db"))
        with self.assertRaises(weft.NotFound):
            weft.open(os.path.join(self.dir, "absent"), create_if_missing=False)

    def test_transactions_abort_on_exception_and_are_single_use(self):
        with self.assertRaises(RuntimeError):
            with self.db.transaction() as txn:
                txn.put("todo/1", {"a": 1})
                raise RuntimeError("changed my mind")
        with self.assertRaises(weft.NotFound):
            self.db.get("todo/1")
        with self.assertRaises(weft.InvalidArgument):
            txn.put("todo/1", {"a": 1})  # finished
        txn = self.db.transaction()
        txn.put("todo/1", {"a": 1})
        txn.commit()
        with self.assertRaises(weft.InvalidArgument):
            txn.commit()
        closed = weft.open(os.path.join(self.dir, "other"))
        closed.close()
        with self.assertRaises(weft.InvalidArgument):
            closed.get("todo/1")

    def test_views_find_and_explain(self):
        for key, n in [("a", 5), ("b", 9), ("c", 1)]:
            self.db.put("todo/" + key, {"n": n, "group": "x" if n > 2 else "y"})
        self.db.create_view({"name": "by_n", "kind": "index",
                             "collection": "todo", "fields": ["n"]})
        self.db.create_view({"name": "n_by_group", "kind": "aggregate",
                             "collection": "todo", "aggregate_field": "n",
                             "group_by": "group"})
        with self.assertRaises(weft.AlreadyExists):
            self.db.create_view({"name": "by_n", "kind": "index",
                                 "collection": "todo", "fields": ["x"]})
        self.assertEqual([v["name"] for v in self.db.views()],
                         ["by_n", "n_by_group"])
        found = list(self.db.find("todo", {"n": {"$gt": 2}}, order_by="n",
                                  descending=True))
        self.assertEqual(found, [("todo/b", {"n": 9, "group": "x"}),
                                 ("todo/a", {"n": 5, "group": "x"})])
        self.assertTrue(self.db.explain("todo", {"n": 5})["uses_index"])
        rows = self.db.view_rows("n_by_group")
        self.assertEqual(rows[0], {"key": "x", "value": {
            "count": 2, "sum": 14, "min": 5, "max": 9}})
        self.db.rebuild_view("by_n")
        self.db.drop_view("by_n")
        with self.assertRaises(weft.NotFound):
            self.db.drop_view("by_n")
        with self.assertRaises(weft.InvalidArgument):
            list(self.db.find("todo", {"n": {"$near": 1}}))
        status = self.db.status()
        self.assertEqual(status["log_length"], 3)
        self.assertEqual(status["views"][0]["lag"], 0)

    def test_two_replicas_sync_and_a_subscription_sees_the_cpp_shell(self):
        events = []
        sub = self.db.subscribe("collection", "notes", events.append)
        with self.db.serve("127.0.0.1", 0) as server:
            other = weft.open(os.path.join(self.dir, "replica"))
            other.put("notes/1", {"text": "from python"})
            stats = other.sync("127.0.0.1", server.port)
            self.assertEqual(stats["changes_sent"], 1)
            self.assertEqual(self.db.get("notes/1"), {"text": "from python"})
            self.db.put("notes/2", {"text": "from the server"})
            other.sync("127.0.0.1", server.port)
            self.assertEqual(other.get("notes/2"), {"text": "from the server"})
            self.assertEqual(other.heads(), self.db.heads())
            other.close()
            # A change made by the C++ shell reaches the subscription.
            shell_db = os.path.join(self.dir, "shell")
            binary = os.environ["WEFT_BINARY"]
            subprocess.run([binary, "--db", shell_db, "put", "notes/3",
                            '{"text": "from the shell"}'], check=True,
                           capture_output=True)
            subprocess.run([binary, "--db", shell_db, "sync",
                            f"127.0.0.1:{server.port}"], check=True,
                           capture_output=True)
        remote = [e for e in events if e["remote"]]
        self.assertEqual(len(remote), 2)  # from python, from the shell
        self.assertEqual(remote[-1]["documents"][0]["json"],
                         {"text": "from the shell"})
        self.db.unsubscribe(sub)
        with self.assertRaises(weft.NotFound):
            self.db.unsubscribe(sub)

    def test_export_and_import(self):
        self.db.put("todo/1", {"a": 1})
        bundle = os.path.join(self.dir, "todo.bundle")
        self.db.export(bundle)
        with weft.open(os.path.join(self.dir, "copy")) as copy:
            copy.import_(bundle)
            self.assertEqual(copy.get("todo/1"), {"a": 1})
            with self.assertRaises(weft.IOError_):
                copy.import_(os.path.join(self.dir, "absent"))


if __name__ == "__main__":
    unittest.main()
