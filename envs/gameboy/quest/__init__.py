"""QUEST: the homebrew Game Boy game every test and the default demo run on.

Sources: quest.c (game logic), crt0.s (start-up, VBlank), assets.py (tiles, maps, objects).
`envs.gameboy.quest.build.ensure_built()` compiles them with SDCC; `envs.gameboy.quest.route` holds the
scripted shortest route and the press helper that follows the runtime's press contract.
"""
