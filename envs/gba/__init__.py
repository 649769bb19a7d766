"""Game Boy Advance games on mGBA: the homebrew QUEST-GBA (built from this repo's source) and Pokémon Emerald."""
