"""What a provincial office does from the command line, over the services' HTTP APIs, as any outside program would.

    tables.py   reading the office's files: CSV (UTF-8, any usual delimiter) or XLSX, NFC text
    imports.py  units and nominations from those files, all checked before any is sent, each create idempotent
    export.py   the public honour roll as one CSV for Excel

The verbs that run them (`thidua import-units`, `import-nominations`,
`export-honorees`) are in `thidua/commands/office.py`.
"""
