"""The C++ guide names every public type, function and method.

Collects the names that include/weft/*.h declares outside private
sections (classes, structs, enums, aliases, functions, methods) and fails
for each one that docs/cpp-guide.md does not write in backquotes. A new
public name therefore needs a place in the guide's prose or its index.

    python3 tests/docs/guide_coverage_test.py SOURCE_DIR
"""
import os
import re
import sys

TYPE = re.compile(r"^\s*(?:class|struct|enum class|enum)\s+(?:\[\[\w+\]\]\s+)?"
                  r"(\w+)\s*(?:final\s*)?[:{]", re.M)
ALIAS = re.compile(r"^\s*using\s+(\w+)\s*=", re.M)
FUNCTION = re.compile(
    r"^\s*(?:\[\[nodiscard\]\]\s*)?(?:(?:static|virtual|inline|explicit|"
    r"constexpr|friend)\s+)*[\w:<>,\s*&]+?[\s*&](\w+)\(", re.M)
MACRO = re.compile(r"^#define\s+(WEFT_[A-Z_]+)\(", re.M)
# Helpers of the macros, not meant to be called.
IGNORED = {"WEFT_ASSIGN_OR_RETURN_IMPL", "WEFT_STATUS_CONCAT",
           "WEFT_STATUS_CONCAT_INNER", "operator"}


def public_text(text):
    """The header without comments and private sections."""
    text = re.sub(r"//[^\n]*", "", text)
    return re.sub(r"\n\s*(private|protected):.*?(?=\n\s*public:|\n};)", "\n",
                  text, flags=re.S)


def public_names(header_dir):
    names = {}
    for name in sorted(os.listdir(header_dir)):
        if not name.endswith(".h"):
            continue
        raw = open(os.path.join(header_dir, name)).read()
        text = public_text(raw)
        for pattern in (TYPE, ALIAS, FUNCTION):
            for match in pattern.finditer(text):
                names.setdefault(match.group(1), name)
        for match in MACRO.finditer(raw):
            names.setdefault(match.group(1), name)
    return {n: h for n, h in names.items() if n not in IGNORED}


def quoted(guide_text):
    """Every identifier the guide writes inside `...`."""
    found = set()
    for span in re.findall(r"`([^`\n]+)`", guide_text):
        found.update(re.findall(r"[A-Za-z_]\w*", span))
    return found


def self_test():
    """A name missing from the guide is caught (a pass means something)."""
    text = public_text("struct A {\n  void Shown();\n private:\n  void Hidden();"
                       "\n};\n")
    names = {m.group(1) for p in (TYPE, FUNCTION) for m in p.finditer(text)}
    assert names == {"A", "Shown"}, names
    assert quoted("see `A::Shown()` and `B`") == {"A", "Shown", "B"}


def main(source):
    self_test()
    names = public_names(os.path.join(source, "include", "weft"))
    guide = open(os.path.join(source, "docs", "cpp-guide.md")).read()
    missing = sorted(set(names) - quoted(guide))
    for name in missing:
        print(f"docs/cpp-guide.md does not name {name} "
              f"(include/weft/{names[name]})")
    print(f"{len(names)} public names, {len(names) - len(missing)} named "
          f"in the guide")
    return 1 if missing or len(names) < 100 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "."))
