"""Writes api/gen/clients.py: one typed client per service of configs/api.yml, from the proto descriptors.

`python -m tools.generate_clients [--check]`
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from google.protobuf.descriptor import Descriptor

from internal.common.contract import Contract
from internal.common.service import snake_case
from tools import ROOT, load_app_protos

OUTPUT = ROOT / "api" / "gen" / "clients.py"


def _module(descriptor: Descriptor) -> tuple[str, str]:
    """(import line, alias) of the generated module holding `descriptor`."""
    file_name = descriptor.file.name  # e.g. "users.proto", "google/protobuf/empty.proto"
    stem = Path(file_name).stem + "_pb2"
    if file_name.startswith("google/protobuf/"):
        return f"from google.protobuf import {stem}", stem
    return f"from api.gen import {stem}", stem


def render(contract: Contract) -> str:
    imports = {"from internal.common.sender import ServiceClient", "from internal.common.service import CallContext"}
    classes: list[str] = []
    for name, service in contract.services.items():
        lines = [f"class {name.title().replace('_', '')}Client(ServiceClient):",
                 f'    """Calls the {name} service ({service.descriptor.full_name}) over any transport."""', "",
                 f'    SERVICE = "{name}"']
        for method in service.descriptor.methods:
            request_import, request_module = _module(method.input_type)
            response_import, response_module = _module(method.output_type)
            imports.update((request_import, response_import))
            request = f"{request_module}.{method.input_type.name}"
            response = f"{response_module}.{method.output_type.name}"
            lines += ["", f"    async def {snake_case(method.name)}(self, request: {request}, ctx: CallContext) -> "
                          f"{response}:",
                      f'        return await self._call("{method.name}", request, ctx, {response})']
        classes.append("\n".join(lines))
    header = ('"""Typed clients of the services, generated from the proto and configs/api.yml by '
              'tools/generate_clients.py: do not edit."""\n\nfrom __future__ import annotations\n\n')
    third_party = sorted(i for i in imports if i.startswith("from google"))
    first_party = sorted(i for i in imports if not i.startswith("from google"))
    return header + "\n".join(third_party) + "\n\n" + "\n".join(first_party) + "\n\n\n" + "\n\n\n".join(classes) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="only check that the committed file is up to date")
    args = parser.parse_args(argv)
    load_app_protos()
    text = render(Contract.load(ROOT / "configs" / "api.yml"))
    current = OUTPUT.read_text() if OUTPUT.exists() else ""
    if args.check:
        if current != text:
            print(f"{OUTPUT.relative_to(ROOT)} is out of date: run `make proto`", file=sys.stderr)
            return 1
        return 0
    if current != text:
        OUTPUT.write_text(text)
        print(f"wrote {OUTPUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
