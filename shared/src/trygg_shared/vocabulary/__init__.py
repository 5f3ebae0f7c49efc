"""The shared vocabularies: each enum that a service's domain and the wire contracts both speak, declared once.

Plain `enum.StrEnum`s and nothing else: no pydantic, no envelope, no broker, no driver (an import
contract in `tools/importlinter/contracts.ini` holds this), so a service's `domain/` may import
them while it still never imports `trygg_shared.contracts`. The contracts import them too and
re-export them under the same names; a class's name and docstring are part of the published JSON
Schema (`$defs` key and description), so they stay as the snapshots have them.

One module per publishing service (`referral`, `scheduling`, `notification`): the words of the
events that service publishes. A domain enum that differs from the wire on purpose (a value the
wire lacks, rules of its own) stays in its domain and is kept equal by the enum-drift test
(`tests/contract/test_wire_mapping.py`).
"""
