"""Every public symbol of the C++ and C APIs is documented.

A declaration in include/weft/*.h or bindings/c/weft.h (a class, struct,
enum, alias, function, method or field outside a private section) must
stand in a paragraph (lines with no blank line between) that holds a
comment, as LevelDB's headers document a group of declarations with one
comment, or carry a comment at its end. Copy and move deletions,
destructors, access labels and braces need none. Prints each undocumented
declaration and the share of header lines that are comments.

    python3 tests/docs/public_docs_test.py SOURCE_DIR
"""
import os
import re
import sys

EXEMPT = re.compile(
    r"^(public:|private:|protected:|friend |#|namespace |}|{|extern \"C\"|"
    r"typedef struct \w+ \w+;|template <|.*= delete;|~\w+\(|\w+& operator=|"
    r"\w+\(const \w+&\)|case |default:|return |\)|\w+,$|\w+ = \d+,?$|"
    r"(class|struct) \w+;$)")


def paragraphs(lines):
    """(start, end) line ranges of runs of non-blank lines."""
    start = None
    for number, line in enumerate(lines + [""]):
        if line.strip() and start is None:
            start = number
        elif not line.strip() and start is not None:
            yield start, number
            start = None


def is_comment(line):
    text = line.strip()
    return text.startswith(("//", "/*", "*"))


def undocumented(path):
    lines = open(path).read().split("\n")
    found = []
    private = False
    depth_private = None
    depth = 0
    documented = set()
    for start, end in paragraphs(lines):
        if any(is_comment(lines[i]) for i in range(start, end)):
            documented.update(range(start, end))
    in_block_comment = False
    for number, line in enumerate(lines):
        text = line.strip()
        if in_block_comment:
            in_block_comment = "*/" not in text
            continue
        if text.startswith("/*") and "*/" not in text:
            in_block_comment = True
            continue
        if text in ("private:", "protected:"):
            private, depth_private = True, depth
        elif text == "public:":
            private = False
        opens, closes = line.count("{"), line.count("}")
        if private and depth + opens - closes < depth_private:
            private = False
        previous = lines[number - 1].strip() if number else ""
        continuation = previous and not previous.endswith(
            (";", "{", "}", ":", "*/")) and not is_comment(previous)
        if (text and not is_comment(line) and not private
                and not continuation and not EXEMPT.match(text)
                and number not in documented and "//" not in line
                and "/*" not in line and depth_marks_declaration(text)):
            found.append((number + 1, text))
        depth += opens - closes
    return found


def depth_marks_declaration(text):
    """Lines that begin a declaration (not the continuation of one)."""
    return bool(re.match(r"^(\[\[nodiscard\]\] )?(static |virtual |const |"
                         r"inline |explicit |constexpr |struct |class |enum |"
                         r"using |[A-Za-z_:<>*&, ]+[ *&]\w+ *[(;={\[])", text))


def comment_share(paths):
    total = comments = 0
    for path in paths:
        for line in open(path):
            if line.strip():
                total += 1
                comments += is_comment(line)
    return comments, total


def self_test():
    """The check flags an undocumented declaration and passes a documented
    one (so that a pass means something)."""
    import tempfile
    with tempfile.NamedTemporaryFile("w", suffix=".h", delete=False) as f:
        f.write("namespace weft {\n\nint Undocumented(int x);\n\n"
                "// Documented.\nint Documented(int x);\n}\n")
    try:
        flagged = [text for _, text in undocumented(f.name)]
    finally:
        os.unlink(f.name)
    assert flagged == ["int Undocumented(int x);"], flagged


def main(source):
    self_test()
    headers = sorted(
        os.path.join(source, "include", "weft", name)
        for name in os.listdir(os.path.join(source, "include", "weft"))
        if name.endswith(".h"))
    headers.append(os.path.join(source, "bindings", "c", "weft.h"))
    missing = 0
    for path in headers:
        for number, text in undocumented(path):
            print(f"{os.path.relpath(path, source)}:{number}: "
                  f"undocumented: {text}")
            missing += 1
    comments, total = comment_share(headers)
    print(f"{len(headers)} public headers, {total} lines, "
          f"{100 * comments / total:.0f}% comments; {missing} undocumented")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "."))
