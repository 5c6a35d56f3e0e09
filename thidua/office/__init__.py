"""What a provincial office does from the command line, over the services' HTTP APIs, as any outside program would.

    imports.py  units and nominations from those files, all checked before any is sent, each create idempotent
    export.py   the public honour roll as one CSV for Excel

The files are read by `shared/tables.py` (CSV or XLSX, NFC text), the one
reader the console's upload uses too. The verbs that run them (`thidua import-units`, `import-nominations`,
`export-honorees`) are in `thidua/commands/office.py`.
"""
