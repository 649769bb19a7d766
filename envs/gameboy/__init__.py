"""Game Boy games: `env.GameBoyEnv` (the gymnasium env), `emulator.GameBoyEmulator` (PyBoy in a killable child),
`game` (GameState, GameAdapter, BUTTONS, MAP_LEGEND), `adapters/` (one per game), `quest/` (the in-repo game).

Kept import-free so that `envs.gameboy.game` (used by pure adapter tests) does not pull in gymnasium or PyBoy.
"""
