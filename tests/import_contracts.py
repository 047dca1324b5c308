"""An import-linter contract the package ships without: no module imports itself through others.

acyclic_siblings looks for cycles between the children of one package. A cycle that leaves a
package and comes back — a campaigns service importing security.audit, which imports that
service — runs between no two siblings, so it needs this contract, over the whole project.
Registered in pyproject.toml ([tool.importlinter] contract_types); lint-imports runs from the
project's root, where this module is importable.
"""

from grimp import ImportGraph
from importlinter.application import output
from importlinter.domain.contract import Contract, ContractCheck


class AcyclicModulesContract(Contract):
    type_name = "acyclic_modules"

    def check(self, graph: ImportGraph, verbose: bool) -> ContractCheck:
        cycles: dict[frozenset[str], tuple[str, ...]] = {}
        for importer in sorted(graph.modules):
            for imported in sorted(graph.find_modules_directly_imported_by(importer)):
                way_back = graph.find_shortest_chain(importer=imported, imported=importer)
                if way_back:
                    cycle = (importer, *way_back)
                    cycles.setdefault(frozenset(cycle), cycle)
        return ContractCheck(kept=not cycles, metadata={"cycles": sorted(cycles.values())})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for cycle in check.metadata["cycles"]:
            output.print_error(" -> ".join(cycle))  # the last module imports the first
            output.new_line()
