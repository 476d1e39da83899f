"""Any order of close, abort, commit, garbage collection and interpreter
exit is safe: each script runs in a fresh interpreter, which must exit
cleanly (no double free, no segfault) and print what it checked."""
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import unittest

SCRIPTS = {
    # The three crashes found: exit with a transaction open, an exception
    # while one is open, abort after close.
    "exit_with_open_transaction": """
        db = weft.open("s1.db"); t = db.transaction(); t.set("a/1", "x", 1)
        print("ok")
    """,
    "exception_with_open_transaction": """
        db = weft.open("s2.db")
        t = db.transaction(); t.set("a/1", "x", 1)
        try:
            raise RuntimeError("boom")
        except RuntimeError:
            print("ok")
    """,
    "uncaught_exception_with_open_transaction": """
        db = weft.open("s3.db")
        t = db.transaction(); t.set("a/1", "x", 1)
        print("ok", flush=True)
        raise RuntimeError("boom")
    """,
    "abort_after_close": """
        db = weft.open("s4.db"); t = db.transaction(); t.set("a/1", "x", 1)
        db.close(); t.abort(); t.abort()
        print("ok")
    """,
    "commit_after_close": """
        db = weft.open("s5.db"); t = db.transaction(); t.set("a/1", "x", 1)
        db.close()
        try:
            t.commit()
        except weft.Error as error:
            assert "closed" in str(error), error
            print("ok")
    """,
    "iterator_outlives_database": """
        db = weft.open("s6.db")
        for n in range(3):
            db.put("a/%d" % n, {"n": n})
        rows = db.find("a")
        next(rows)
        db.close()
        try:
            next(rows)
        except weft.Error as error:
            assert "closed" in str(error), error
            print("ok")
    """,
    "garbage_collected_in_any_order": """
        import gc
        for n in range(50):
            db = weft.open("s7.db"); t = db.transaction()
            t.set("a/1", "n", n)
            if n % 2:
                del db; gc.collect(); del t
            else:
                del t; gc.collect(); del db
            gc.collect()
        db = weft.open("s7.db")
        try:
            db.get("a/1")
        except weft.NotFound:
            print("ok")  # nothing was ever committed
    """,
    "server_outlives_database": """
        db = weft.open("s8.db"); server = db.serve("127.0.0.1", 0)
        db.close(); server.stop()
        print("ok")
    """,
    "reopen_after_close_with_open_transaction": """
        db = weft.open("s9.db"); t = db.transaction(); t.set("a/1", "x", 1)
        db.close()
        db = weft.open("s9.db")  # the lock and the write lock are free
        db.put("a/1", {"x": 2}); assert db.get("a/1") == {"x": 2}
        print("ok")
    """,
}


class LifetimeTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="weft-py-life-")

    def tearDown(self):
        shutil.rmtree(self.dir)

    def test_every_order_exits_cleanly(self):
        for name, body in SCRIPTS.items():
            with self.subTest(name):
                script = "import weft\n" + textwrap.dedent(body)
                run = subprocess.run([sys.executable, "-c", script],
                                     cwd=self.dir, env=os.environ,
                                     capture_output=True, text=True,
                                     timeout=60)
                self.assertIn("ok", run.stdout, run.stderr)
                self.assertNotIn("free()", run.stderr)
                self.assertNotIn("Segmentation", run.stderr)
                expected = 1 if name.startswith("uncaught") else 0
                self.assertEqual(run.returncode, expected, run.stderr)


if __name__ == "__main__":
    unittest.main()
