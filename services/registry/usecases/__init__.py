"""What the registry does, one module per use case.

commands (change the register, one event each), queries (the read side), importer (bulk import jobs),
jobs (background: announcing expired recognitions), snapshots (the enterprise as events carry it),
access (who may see and change what), validation (the domain's rules as field checks), demo_loader.
"""
