"""QUEST: the homebrew Game Boy game every test and the default demo run on.

Sources: quest.c (game logic), crt0.s (start-up, VBlank), assets.py (tiles, maps, objects).
`envs.quest.build.ensure_built()` compiles them with SDCC; `envs.quest.route` holds the
scripted shortest route and the press helper that follows the runtime's press contract.
"""
