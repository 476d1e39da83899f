"""A to-do list on two replicas — a laptop and a phone — that edit offline
and then sync over 127.0.0.1.

    PYTHONPATH=bindings/python python3 bindings/python/examples/todo_sync.py DIR

(with WEFT_LIB=build/release/lib/libweft.so when running from the source
tree). Exit status 0 when both replicas show the same list.
"""
import os
import sys

import weft


def add_todo(db: weft.Database, doc: str, title: str) -> None:
    with db.transaction() as txn:  # commits on exit, aborts on an exception
        txn.put(doc, {"title": title, "done": False})
        txn.increment(doc, "edits")


def mark_done(db: weft.Database, doc: str) -> None:
    with db.transaction() as txn:
        txn.set(doc, "done", True)
        txn.increment(doc, "edits")


def show(db: weft.Database, who: str) -> list:
    todos = list(db.find("todos"))
    print(f"{who}:")
    for doc, todo in todos:
        print(f"  [{'x' if todo['done'] else ' '}] {todo['title']} ({doc})")
    return todos


def main() -> int:
    if len(sys.argv) != 2:
        print(f"usage: {sys.argv[0]} DIR (an empty folder for both replicas)",
              file=sys.stderr)
        return 2
    print("weft", weft.version())
    with weft.open(os.path.join(sys.argv[1], "laptop")) as laptop, \
            weft.open(os.path.join(sys.argv[1], "phone")) as phone:
        # Offline, each side adds its own to-dos.
        add_todo(laptop, "todos/milk", "buy milk")
        add_todo(laptop, "todos/tax", "file the tax return")
        add_todo(phone, "todos/mum", "call mum")

        # The laptop serves on a free loopback port; the phone syncs with it.
        with laptop.serve("127.0.0.1", 0) as server:
            stats = phone.sync("127.0.0.1", server.port)
            print(f"sync: {stats['changes_sent']} sent, "
                  f"{stats['changes_received']} received, "
                  f"{stats['round_trips']} round trips")
            # The phone ticks one off; one more sync brings it to the laptop.
            mark_done(phone, "todos/milk")
            phone.sync("127.0.0.1", server.port)

        on_laptop, on_phone = show(laptop, "laptop"), show(phone, "phone")
        same = on_laptop == on_phone and len(on_laptop) == 3 and \
            dict(on_laptop)["todos/milk"]["done"]
        print("converged" if same else "DIFFERENT")
        return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
