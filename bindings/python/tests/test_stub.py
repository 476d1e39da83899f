"""The type stub (weft/__init__.pyi) names exactly the public API of the
module, with the same parameters and defaults."""
import ast
import inspect
import os
import unittest

import weft

STUB = os.path.join(os.path.dirname(weft.__file__), "__init__.pyi")


def stub_parameters(function: ast.FunctionDef):
    args = function.args
    names = [arg.arg for arg in args.args]
    defaults = [None] * (len(names) - len(args.defaults)) + [
        ast.literal_eval(default) for default in args.defaults]
    result = list(zip(names, defaults))
    if args.vararg:
        result.append(("*" + args.vararg.arg, None))
    return result


def runtime_parameters(function):
    result = []
    for parameter in inspect.signature(function).parameters.values():
        if parameter.kind == parameter.VAR_POSITIONAL:
            result.append(("*" + parameter.name, None))
        else:
            default = parameter.default
            result.append((parameter.name,
                           None if default is parameter.empty else default))
    return result


def public(names):
    return {name for name in names
            if not name.startswith("_") or name in ("__enter__", "__exit__")}


class StubTest(unittest.TestCase):
    def setUp(self):
        with open(STUB) as stub:
            self.tree = ast.parse(stub.read())

    def check_functions(self, stub_body, owner, where):
        stubbed = {node.name: node for node in stub_body
                   if isinstance(node, ast.FunctionDef)}
        runtime = {name for name, member in vars(owner).items()
                   if inspect.isfunction(member) or isinstance(member,
                                                               property)}
        self.assertEqual(public(stubbed), public(runtime), where)
        for name in public(stubbed):
            member = vars(owner)[name]
            if isinstance(member, property):
                member = member.fget
            self.assertEqual(stub_parameters(stubbed[name]),
                             runtime_parameters(member), f"{where}.{name}")

    def test_stub_matches_module(self):
        classes = {node.name: node for node in self.tree.body
                   if isinstance(node, ast.ClassDef)}
        runtime_classes = {name for name, member in vars(weft).items()
                           if inspect.isclass(member)
                           and member.__module__ == "weft"}
        self.assertEqual(public(classes), public(runtime_classes))
        self.check_functions(self.tree.body, weft, "weft")
        for name in public(classes):
            self.check_functions(classes[name].body, getattr(weft, name),
                                 f"weft.{name}")


if __name__ == "__main__":
    unittest.main()
