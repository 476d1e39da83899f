"""The Python binding, on real databases in temporary folders."""
import os
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
