"""Static tables for the Gen 1 adapters (Red/Blue/Yellow, English US/Europe releases).

Transcribed from the pret disassemblies (pret/pokered, pret/pokeyellow): constants/map_constants.asm,
constants/pokemon_constants.asm (internal species order), charmap.asm, constants/tileset_constants.asm,
data/tilesets/water_tilesets.asm and engine/overworld/ledges.asm. Kept apart from the decoder so the
decoder reads as logic and these read as data.
"""

from __future__ import annotations

# --- maps -------------------------------------------------------------------------------------------

# Map ids in order, as the constants of constants/map_constants.asm (Red/Blue; Yellow adds BEACH_HOUSE).
MAP_CONSTANTS: tuple[str, ...] = (
    "PALLET_TOWN", "VIRIDIAN_CITY", "PEWTER_CITY", "CERULEAN_CITY", "LAVENDER_TOWN",  # $00
    "VERMILION_CITY", "CELADON_CITY", "FUCHSIA_CITY", "CINNABAR_ISLAND", "INDIGO_PLATEAU",  # $05
    "SAFFRON_CITY", "UNUSED_MAP_0B",  # $0A
    "ROUTE_1", "ROUTE_2", "ROUTE_3", "ROUTE_4", "ROUTE_5", "ROUTE_6", "ROUTE_7", "ROUTE_8",  # $0C
    "ROUTE_9", "ROUTE_10", "ROUTE_11", "ROUTE_12", "ROUTE_13", "ROUTE_14", "ROUTE_15", "ROUTE_16",  # $14
    "ROUTE_17", "ROUTE_18", "ROUTE_19", "ROUTE_20", "ROUTE_21", "ROUTE_22", "ROUTE_23", "ROUTE_24",  # $1C
    "ROUTE_25",  # $24
    "REDS_HOUSE_1F", "REDS_HOUSE_2F", "BLUES_HOUSE", "OAKS_LAB", "VIRIDIAN_POKECENTER",  # $25
    "VIRIDIAN_MART", "VIRIDIAN_SCHOOL_HOUSE", "VIRIDIAN_NICKNAME_HOUSE", "VIRIDIAN_GYM",  # $2A
    "DIGLETTS_CAVE_ROUTE_2", "VIRIDIAN_FOREST_NORTH_GATE", "ROUTE_2_TRADE_HOUSE", "ROUTE_2_GATE",  # $2E
    "VIRIDIAN_FOREST_SOUTH_GATE", "VIRIDIAN_FOREST", "MUSEUM_1F", "MUSEUM_2F", "PEWTER_GYM",  # $32
    "PEWTER_NIDORAN_HOUSE", "PEWTER_MART", "PEWTER_SPEECH_HOUSE", "PEWTER_POKECENTER",  # $37
    "MT_MOON_1F", "MT_MOON_B1F", "MT_MOON_B2F", "CERULEAN_TRASHED_HOUSE", "CERULEAN_TRADE_HOUSE",  # $3B
    "CERULEAN_POKECENTER", "CERULEAN_GYM", "BIKE_SHOP", "CERULEAN_MART", "MT_MOON_POKECENTER",  # $40
    "CERULEAN_TRASHED_HOUSE_COPY", "ROUTE_5_GATE", "UNDERGROUND_PATH_ROUTE_5", "DAYCARE",  # $45
    "ROUTE_6_GATE", "UNDERGROUND_PATH_ROUTE_6", "UNDERGROUND_PATH_ROUTE_6_COPY", "ROUTE_7_GATE",  # $49
    "UNDERGROUND_PATH_ROUTE_7", "UNDERGROUND_PATH_ROUTE_7_COPY", "ROUTE_8_GATE",  # $4D
    "UNDERGROUND_PATH_ROUTE_8", "ROCK_TUNNEL_POKECENTER", "ROCK_TUNNEL_1F", "POWER_PLANT",  # $50
    "ROUTE_11_GATE_1F", "DIGLETTS_CAVE_ROUTE_11", "ROUTE_11_GATE_2F", "ROUTE_12_GATE_1F",  # $54
    "BILLS_HOUSE", "VERMILION_POKECENTER", "POKEMON_FAN_CLUB", "VERMILION_MART", "VERMILION_GYM",  # $58
    "VERMILION_PIDGEY_HOUSE", "VERMILION_DOCK", "SS_ANNE_1F", "SS_ANNE_2F", "SS_ANNE_3F",  # $5D
    "SS_ANNE_B1F", "SS_ANNE_BOW", "SS_ANNE_KITCHEN", "SS_ANNE_CAPTAINS_ROOM", "SS_ANNE_1F_ROOMS",  # $62
    "SS_ANNE_2F_ROOMS", "SS_ANNE_B1F_ROOMS", "UNUSED_MAP_69", "UNUSED_MAP_6A", "UNUSED_MAP_6B",  # $67
    "VICTORY_ROAD_1F", "UNUSED_MAP_6D", "UNUSED_MAP_6E", "UNUSED_MAP_6F", "UNUSED_MAP_70",  # $6C
    "LANCES_ROOM", "UNUSED_MAP_72", "UNUSED_MAP_73", "UNUSED_MAP_74", "UNUSED_MAP_75",  # $71
    "HALL_OF_FAME", "UNDERGROUND_PATH_NORTH_SOUTH", "CHAMPIONS_ROOM", "UNDERGROUND_PATH_WEST_EAST",  # $76
    "CELADON_MART_1F", "CELADON_MART_2F", "CELADON_MART_3F", "CELADON_MART_4F",  # $7A
    "CELADON_MART_ROOF", "CELADON_MART_ELEVATOR", "CELADON_MANSION_1F", "CELADON_MANSION_2F",  # $7E
    "CELADON_MANSION_3F", "CELADON_MANSION_ROOF", "CELADON_MANSION_ROOF_HOUSE",  # $82
    "CELADON_POKECENTER", "CELADON_GYM", "GAME_CORNER", "CELADON_MART_5F",  # $85
    "GAME_CORNER_PRIZE_ROOM", "CELADON_DINER", "CELADON_CHIEF_HOUSE", "CELADON_HOTEL",  # $89
    "LAVENDER_POKECENTER", "POKEMON_TOWER_1F", "POKEMON_TOWER_2F", "POKEMON_TOWER_3F",  # $8D
    "POKEMON_TOWER_4F", "POKEMON_TOWER_5F", "POKEMON_TOWER_6F", "POKEMON_TOWER_7F",  # $91
    "MR_FUJIS_HOUSE", "LAVENDER_MART", "LAVENDER_CUBONE_HOUSE", "FUCHSIA_MART",  # $95
    "FUCHSIA_BILLS_GRANDPAS_HOUSE", "FUCHSIA_POKECENTER", "WARDENS_HOUSE", "SAFARI_ZONE_GATE",  # $99
    "FUCHSIA_GYM", "FUCHSIA_MEETING_ROOM", "SEAFOAM_ISLANDS_B1F", "SEAFOAM_ISLANDS_B2F",  # $9D
    "SEAFOAM_ISLANDS_B3F", "SEAFOAM_ISLANDS_B4F", "VERMILION_OLD_ROD_HOUSE",  # $A1
    "FUCHSIA_GOOD_ROD_HOUSE", "POKEMON_MANSION_1F", "CINNABAR_GYM", "CINNABAR_LAB",  # $A4
    "CINNABAR_LAB_TRADE_ROOM", "CINNABAR_LAB_METRONOME_ROOM", "CINNABAR_LAB_FOSSIL_ROOM",  # $A8
    "CINNABAR_POKECENTER", "CINNABAR_MART", "CINNABAR_MART_COPY", "INDIGO_PLATEAU_LOBBY",  # $AB
    "COPYCATS_HOUSE_1F", "COPYCATS_HOUSE_2F", "FIGHTING_DOJO", "SAFFRON_GYM",  # $AF
    "SAFFRON_PIDGEY_HOUSE", "SAFFRON_MART", "SILPH_CO_1F", "SAFFRON_POKECENTER",  # $B3
    "MR_PSYCHICS_HOUSE", "ROUTE_15_GATE_1F", "ROUTE_15_GATE_2F", "ROUTE_16_GATE_1F",  # $B7
    "ROUTE_16_GATE_2F", "ROUTE_16_FLY_HOUSE", "ROUTE_12_SUPER_ROD_HOUSE", "ROUTE_18_GATE_1F",  # $BB
    "ROUTE_18_GATE_2F", "SEAFOAM_ISLANDS_1F", "ROUTE_22_GATE", "VICTORY_ROAD_2F",  # $BF
    "ROUTE_12_GATE_2F", "VERMILION_TRADE_HOUSE", "DIGLETTS_CAVE", "VICTORY_ROAD_3F",  # $C3
    "ROCKET_HIDEOUT_B1F", "ROCKET_HIDEOUT_B2F", "ROCKET_HIDEOUT_B3F", "ROCKET_HIDEOUT_B4F",  # $C7
    "ROCKET_HIDEOUT_ELEVATOR", "UNUSED_MAP_CC", "UNUSED_MAP_CD", "UNUSED_MAP_CE",  # $CB
    "SILPH_CO_2F", "SILPH_CO_3F", "SILPH_CO_4F", "SILPH_CO_5F", "SILPH_CO_6F", "SILPH_CO_7F",  # $CF
    "SILPH_CO_8F", "POKEMON_MANSION_2F", "POKEMON_MANSION_3F", "POKEMON_MANSION_B1F",  # $D5
    "SAFARI_ZONE_EAST", "SAFARI_ZONE_NORTH", "SAFARI_ZONE_WEST", "SAFARI_ZONE_CENTER",  # $D9
    "SAFARI_ZONE_CENTER_REST_HOUSE", "SAFARI_ZONE_SECRET_HOUSE", "SAFARI_ZONE_WEST_REST_HOUSE",  # $DD
    "SAFARI_ZONE_EAST_REST_HOUSE", "SAFARI_ZONE_NORTH_REST_HOUSE", "CERULEAN_CAVE_2F",  # $E0
    "CERULEAN_CAVE_B1F", "CERULEAN_CAVE_1F", "NAME_RATERS_HOUSE", "CERULEAN_BADGE_HOUSE",  # $E3
    "UNUSED_MAP_E7", "ROCK_TUNNEL_B1F", "SILPH_CO_9F", "SILPH_CO_10F", "SILPH_CO_11F",  # $E7
    "SILPH_CO_ELEVATOR", "UNUSED_MAP_ED", "UNUSED_MAP_EE", "TRADE_CENTER", "COLOSSEUM",  # $EC
    "UNUSED_MAP_F1", "UNUSED_MAP_F2", "UNUSED_MAP_F3", "UNUSED_MAP_F4",  # $F1
    "LORELEIS_ROOM", "BRUNOS_ROOM", "AGATHAS_ROOM",  # $F5
    "BEACH_HOUSE",  # $F8, Yellow only
)
MAP_ID: dict[str, int] = {name: i for i, name in enumerate(MAP_CONSTANTS)}
NUM_MAPS_RED = MAP_ID["AGATHAS_ROOM"] + 1
NUM_MAPS_YELLOW = MAP_ID["BEACH_HOUSE"] + 1

_WORDS = {
    "REDS": "Red's", "BLUES": "Blue's", "OAKS": "Oak's", "BILLS": "Bill's", "FUJIS": "Fuji's",
    "GRANDPAS": "Grandpa's", "WARDENS": "Warden's", "COPYCATS": "Copycat's", "PSYCHICS": "Psychic's",
    "RATERS": "Rater's", "CAPTAINS": "Captain's", "CHAMPIONS": "Champion's", "LANCES": "Lance's",
    "LORELEIS": "Lorelei's", "BRUNOS": "Bruno's", "AGATHAS": "Agatha's", "DIGLETTS": "Diglett's",
    "MT": "Mt.", "MR": "Mr.", "SS": "S.S.", "CO": "Co.", "POKECENTER": "Pokecenter", "POKEMON": "Pokemon",
    "B1F": "B1F", "B2F": "B2F", "B3F": "B3F", "B4F": "B4F",
}


def _pretty(const: str) -> str:
    """'MT_MOON_B1F' -> 'Mt. Moon B1F': the constant, spelled the way a player reads it."""
    words = []
    for w in const.split("_"):
        if w in _WORDS:
            words.append(_WORDS[w])
        elif w[:1].isdigit():
            words.append(w)  # 1F, 2F, 11F, route numbers
        else:
            words.append(w.capitalize())
    return " ".join(words)


MAP_NAMES: tuple[str, ...] = tuple(_pretty(c) for c in MAP_CONSTANTS)

# --- species ----------------------------------------------------------------------------------------

# Internal species index (what party/battle memory stores) -> in-game name, 1-based, from
# constants/pokemon_constants.asm. The Pokedex order differs; memory never holds dex numbers.
_SPECIES_TEXT = (
    "RHYDON KANGASKHAN NIDORAN_M CLEFAIRY SPEAROW VOLTORB NIDOKING SLOWBRO IVYSAUR EXEGGUTOR "
    "LICKITUNG EXEGGCUTE GRIMER GENGAR NIDORAN_F NIDOQUEEN CUBONE RHYHORN LAPRAS ARCANINE MEW "
    "GYARADOS SHELLDER TENTACOOL GASTLY SCYTHER STARYU BLASTOISE PINSIR TANGELA - - GROWLITHE ONIX "
    "FEAROW PIDGEY SLOWPOKE KADABRA GRAVELER CHANSEY MACHOKE MR_MIME HITMONLEE HITMONCHAN ARBOK "
    "PARASECT PSYDUCK DROWZEE GOLEM - MAGMAR - ELECTABUZZ MAGNETON KOFFING - MANKEY SEEL DIGLETT "
    "TAUROS - - - FARFETCHD VENONAT DRAGONITE - - - DODUO POLIWAG JYNX MOLTRES ARTICUNO ZAPDOS DITTO "
    "MEOWTH KRABBY - - - VULPIX NINETALES PIKACHU RAICHU - - DRATINI DRAGONAIR KABUTO KABUTOPS HORSEA "
    "SEADRA - - SANDSHREW SANDSLASH OMANYTE OMASTAR JIGGLYPUFF WIGGLYTUFF EEVEE FLAREON JOLTEON "
    "VAPOREON MACHOP ZUBAT EKANS PARAS POLIWHIRL POLIWRATH WEEDLE KAKUNA BEEDRILL - DODRIO PRIMEAPE "
    "DUGTRIO VENOMOTH DEWGONG - - CATERPIE METAPOD BUTTERFREE MACHAMP - GOLDUCK HYPNO GOLBAT MEWTWO "
    "SNORLAX MAGIKARP - - MUK - KINGLER CLOYSTER - ELECTRODE CLEFABLE WEEZING PERSIAN MAROWAK - "
    "HAUNTER ABRA ALAKAZAM PIDGEOTTO PIDGEOT STARMIE BULBASAUR VENUSAUR TENTACRUEL - GOLDEEN SEAKING "
    "- - - - PONYTA RAPIDASH RATTATA RATICATE NIDORINO NIDORINA GEODUDE PORYGON AERODACTYL - "
    "MAGNEMITE - - CHARMANDER SQUIRTLE CHARMELEON WARTORTLE CHARIZARD - FOSSIL_KABUTOPS "
    "FOSSIL_AERODACTYL MON_GHOST ODDISH GLOOM VILEPLUME BELLSPROUT WEEPINBELL VICTREEBEL"
)
_SPECIES_ORDER = _SPECIES_TEXT.split()
_SPECIES_DISPLAY = {
    "NIDORAN_M": "NIDORAN(M)", "NIDORAN_F": "NIDORAN(F)", "MR_MIME": "MR.MIME", "FARFETCHD": "FARFETCH'D",
    "FOSSIL_KABUTOPS": "KABUTOPS FOSSIL", "FOSSIL_AERODACTYL": "AERODACTYL FOSSIL", "MON_GHOST": "GHOST",
    "-": "MISSINGNO.",
}
SPECIES: dict[int, str] = {i + 1: _SPECIES_DISPLAY.get(s, s) for i, s in enumerate(_SPECIES_ORDER)}
SPECIES_ID: dict[str, int] = {name: i for i, name in SPECIES.items() if name != "MISSINGNO."}

# --- text -------------------------------------------------------------------------------------------

# Screen tiles -> ASCII (charmap.asm). Text on screen is already expanded: "POKé" and the player's
# name are plain letters there, so this is a tile table, not a string decoder.
SCREEN_CHARS: dict[int, str] = {0x7F: " "}
SCREEN_CHARS.update({0x80 + i: chr(ord("A") + i) for i in range(26)})
SCREEN_CHARS.update({0xA0 + i: chr(ord("a") + i) for i in range(26)})
SCREEN_CHARS.update({0xF6 + i: str(i) for i in range(10)})
SCREEN_CHARS.update({
    0x69: "V", 0x6A: "S", 0x6D: ":",  # bold V/S (battle "VS."), small colon
    0x70: "'", 0x71: "'", 0x72: '"', 0x73: '"', 0x75: "...",
    0x9A: "(", 0x9B: ")", 0x9C: ":", 0x9D: ";", 0x9E: "[", 0x9F: "]",
    0xBA: "é", 0xBB: "'d", 0xBC: "'l", 0xBD: "'s", 0xBE: "'t", 0xBF: "'v",
    0xE0: "'", 0xE1: "PK", 0xE2: "MN", 0xE3: "-", 0xE4: "'r", 0xE5: "'m",
    0xE6: "?", 0xE7: "!", 0xE8: ".",
    0xEC: ">", 0xED: ">",  # menu cursors (unfilled / filled)
    0xEE: "",  # the blinking "more text" arrow: dropped, it is on in some frames and off in others
    0xEF: "(M)", 0xF0: "$", 0xF1: "x", 0xF2: ".", 0xF3: "/", 0xF4: ",", 0xF5: "(F)",
})

# Text-box frame tiles (charmap.asm: ┌ ─ ┐ │ └ ┘).
BOX_TL, BOX_H, BOX_TR, BOX_V, BOX_BL, BOX_BR = 0x79, 0x7A, 0x7B, 0x7C, 0x7D, 0x7E

# String control codes that stand for words when a string in memory is printed (home/text.asm).
STRING_WORDS: dict[int, str] = {
    0x4A: "PKMN", 0x54: "POKé", 0x56: "......", 0x5B: "PC", 0x5C: "TM", 0x5D: "TRAINER", 0x5E: "ROCKET",
}
STRING_BREAKS = frozenset({0x49, 0x4B, 0x4C, 0x4E, 0x4F, 0x51, 0x55})  # page/line/paragraph codes
STRING_END = frozenset({0x50, 0x57, 0x58})  # "@", <DONE>, <PROMPT>
PLAYER_CODE, RIVAL_CODE = 0x52, 0x53

# --- overworld tiles --------------------------------------------------------------------------------

MAP_TILESET_SIZE = 0x60  # tiles at or above this on the overworld screen are text/menu tiles
TILESET_OVERWORLD = 0
# data/tilesets/water_tilesets.asm: OVERWORLD FOREST DOJO GYM SHIP SHIP_PORT CAVERN FACILITY PLATEAU
WATER_TILESETS = frozenset({0, 3, 5, 7, 13, 14, 17, 22, 23})
WATER_TILE = 0x14
# engine/overworld/ledges.asm (OVERWORLD tileset only): the ledge tile in front of the player.
LEDGE_TILES = frozenset({0x37, 0x36, 0x27, 0x0D, 0x1D})

# wCurMapConnections bits (constants/map_data_constants.asm).
CONNECTION_EAST, CONNECTION_WEST, CONNECTION_SOUTH, CONNECTION_NORTH = 0x01, 0x02, 0x04, 0x08

BADGES: tuple[str, ...] = ("Boulder", "Cascade", "Thunder", "Rainbow", "Soul", "Marsh", "Volcano", "Earth")
FACING: dict[int, str] = {0x00: "DOWN", 0x04: "UP", 0x08: "LEFT", 0x0C: "RIGHT"}

# --- milestones -------------------------------------------------------------------------------------

_m = MAP_ID
# Location milestones: "currently on one of these maps". Towns and routes count the outdoor map only
# (their houses are separate milestones or none); dungeons count every floor.
LOCATION_MILESTONES: dict[str, frozenset[int]] = {
    "pallet_town": frozenset({_m["PALLET_TOWN"]}),
    "oaks_lab": frozenset({_m["OAKS_LAB"]}),
    "route_1": frozenset({_m["ROUTE_1"]}),
    "viridian_city": frozenset({_m["VIRIDIAN_CITY"]}),
    "route_2": frozenset({_m["ROUTE_2"]}),
    "viridian_forest": frozenset({_m["VIRIDIAN_FOREST"]}),
    "pewter_city": frozenset({_m["PEWTER_CITY"]}),
    "pewter_gym": frozenset({_m["PEWTER_GYM"]}),
    "route_3": frozenset({_m["ROUTE_3"]}),
    "mt_moon": frozenset({_m["MT_MOON_1F"], _m["MT_MOON_B1F"], _m["MT_MOON_B2F"]}),
    "cerulean_city": frozenset({_m["CERULEAN_CITY"]}),
    "cerulean_gym": frozenset({_m["CERULEAN_GYM"]}),
    "route_5": frozenset({_m["ROUTE_5"]}),
    "vermilion_city": frozenset({_m["VERMILION_CITY"]}),
    "ss_anne": frozenset(range(_m["SS_ANNE_1F"], _m["SS_ANNE_B1F_ROOMS"] + 1)),
    "vermilion_gym": frozenset({_m["VERMILION_GYM"]}),
    "rock_tunnel": frozenset({_m["ROCK_TUNNEL_1F"], _m["ROCK_TUNNEL_B1F"]}),
    "lavender_town": frozenset({_m["LAVENDER_TOWN"]}),
    "celadon_city": frozenset({_m["CELADON_CITY"]}),
    "pokemon_tower": frozenset(range(_m["POKEMON_TOWER_1F"], _m["POKEMON_TOWER_7F"] + 1)),
    "fuchsia_city": frozenset({_m["FUCHSIA_CITY"]}),
    "saffron_city": frozenset({_m["SAFFRON_CITY"]}),
    "cinnabar_island": frozenset({_m["CINNABAR_ISLAND"]}),
    "victory_road": frozenset({_m["VICTORY_ROAD_1F"], _m["VICTORY_ROAD_2F"], _m["VICTORY_ROAD_3F"]}),
    "indigo_plateau": frozenset({_m["INDIGO_PLATEAU"], _m["INDIGO_PLATEAU_LOBBY"]}),
    "champions_room": frozenset({_m["CHAMPIONS_ROOM"]}),
    "hall_of_fame": frozenset({_m["HALL_OF_FAME"]}),
}
BADGE_MILESTONES: dict[str, int] = {f"{b.lower()}_badge": bit for bit, b in enumerate(BADGES)}

# Story order. The 18 counted by the reference code run from starter_obtained to thunder_badge.
MILESTONES: tuple[str, ...] = (
    "game_running", "pallet_town", "oaks_lab",
    "starter_obtained", "route_1", "viridian_city", "route_2", "viridian_forest", "pewter_city",
    "pewter_gym", "boulder_badge", "route_3", "mt_moon", "cerulean_city", "cerulean_gym", "cascade_badge",
    "route_5", "vermilion_city", "ss_anne", "vermilion_gym", "thunder_badge",
    "rock_tunnel", "lavender_town", "celadon_city", "rainbow_badge", "pokemon_tower", "fuchsia_city",
    "soul_badge", "saffron_city", "marsh_badge", "cinnabar_island", "volcano_badge", "earth_badge",
    "victory_road", "indigo_plateau", "champions_room", "hall_of_fame",
)
COUNTED_MILESTONES: tuple[str, ...] = MILESTONES[MILESTONES.index("starter_obtained"):
                                                 MILESTONES.index("thunder_badge") + 1]

# --- interactables the text map marks '?' -----------------------------------------------------------

# Sprite picture ids of objects that are things, not people (constants/sprite_constants.asm): an item
# ball, a fossil, a paper, the Pokédex / book / town map on a desk, a clipboard, the Old Amber. Talked to
# with A like an NPC, but drawn '?'. Yellow inserted its Pokémon sprites before the still sprites, so the
# same objects have other ids there.
ITEM_SPRITES_RED = frozenset({0x3D, 0x3E, 0x40, 0x41, 0x42, 0x44, 0x45})
ITEM_SPRITES_YELLOW = frozenset({0x47, 0x48, 0x4A, 0x4B, 0x4C, 0x4E, 0x4F})

# Hidden events the player can see and use with A (data/events/hidden_events.asm, formerly
# hidden_objects.asm): PCs, the bedroom SNES, bookcases, posters, statues, fossils, trash cans, slot
# machines, quiz machines, switches. (x, y) in map squares. Hidden items and hidden coins are left
# out: nothing on screen shows them. Red/Blue's table; Yellow's differs in three places (below).
_HIDDEN_EVENTS_RED: dict[str, tuple[tuple[int, int], ...]] = {
    "TRADE_CENTER": ((5, 4), (4, 4)),
    "COLOSSEUM": ((5, 4), (4, 4)),
    "REDS_HOUSE_2F": ((0, 1), (3, 5)),  # the PC, the SNES
    "BLUES_HOUSE": ((0, 1), (1, 1), (7, 1)),
    "OAKS_LAB": ((4, 0), (5, 0), (0, 1), (1, 1)),
    "VIRIDIAN_POKECENTER": ((0, 4), (13, 3)),
    "VIRIDIAN_SCHOOL_HOUSE": ((3, 4), (3, 0)),
    "VIRIDIAN_GYM": ((15, 15), (18, 15)),
    "MUSEUM_1F": ((2, 3), (2, 6)),
    "PEWTER_GYM": ((3, 10), (6, 10)),
    "PEWTER_POKECENTER": ((0, 4), (13, 3)),
    "CERULEAN_POKECENTER": ((0, 4), (13, 3)),
    "CERULEAN_GYM": ((3, 11), (6, 11)),
    "LAVENDER_POKECENTER": ((0, 4), (13, 3)),
    "VERMILION_POKECENTER": ((13, 3), (0, 4)),
    "VERMILION_GYM": ((3, 14), (6, 14), (6, 1)) + tuple((x, y) for x in (1, 3, 5, 7, 9) for y in (7, 9, 11)),
    "CELADON_MANSION_2F": ((0, 5),),
    "CELADON_POKECENTER": ((0, 4), (13, 3)),
    "CELADON_GYM": ((3, 15), (6, 15)),
    "GAME_CORNER": tuple((x, y) for x in (1, 6, 7, 12, 13, 18) for y in range(10, 16)),  # slot machines
    "CELADON_HOTEL": ((13, 3), (0, 4)),
    "FUCHSIA_POKECENTER": ((13, 3), (0, 4)),
    "FUCHSIA_GYM": ((3, 15), (6, 15)),
    "CINNABAR_GYM": ((17, 13), (15, 7), (10, 1), (9, 7), (9, 13), (1, 13), (1, 7)),
    "CINNABAR_POKECENTER": ((0, 4), (13, 3)),
    "SAFFRON_GYM": ((9, 15),),
    "MT_MOON_POKECENTER": ((0, 4), (13, 3)),
    "ROCK_TUNNEL_POKECENTER": ((0, 4), (13, 3)),
    "INDIGO_PLATEAU": ((8, 13), (11, 13)),
    "SS_ANNE_KITCHEN": ((13, 5), (13, 7)),
    "SAFFRON_POKECENTER": ((0, 4), (13, 3)),
    "POKEMON_MANSION_1F": ((2, 5),),
    "POKEMON_MANSION_2F": ((2, 11),),
    "POKEMON_MANSION_3F": ((10, 5),),
    "POKEMON_MANSION_B1F": ((20, 3), (18, 25)),
    "BILLS_HOUSE": ((1, 4),),
    "SAFARI_ZONE_WEST_REST_HOUSE": ((0, 4), (13, 3)),
    "SAFARI_ZONE_EAST_REST_HOUSE": ((0, 4), (13, 3)),
    "SAFARI_ZONE_NORTH_REST_HOUSE": ((0, 4), (13, 3)),
    "ROUTE_15_GATE_2F": ((1, 2),),
    "MR_FUJIS_HOUSE": ((0, 1), (1, 1), (7, 1)),
    "CELADON_MANSION_ROOF_HOUSE": ((3, 0), (4, 0), (3, 4)),
    "FIGHTING_DOJO": ((3, 9), (6, 9), (4, 0), (5, 0)),
    "INDIGO_PLATEAU_LOBBY": ((15, 7),),
    "CINNABAR_LAB_FOSSIL_ROOM": ((0, 4), (2, 4)),
    "BIKE_SHOP": ((1, 0), (2, 1), (1, 2), (3, 2), (0, 4), (1, 5)),
    "SILPH_CO_11F": ((10, 12),),
}
# pret/pokeyellow: the Fan Club's two pictures are new, Celadon Hotel lost its PC, and the Safari Zone
# rest houses have no hidden events.
_HIDDEN_EVENTS_YELLOW: dict[str, tuple[tuple[int, int], ...]] = {
    **{k: v for k, v in _HIDDEN_EVENTS_RED.items() if not k.endswith("_REST_HOUSE")},
    "CELADON_HOTEL": ((0, 4),),
    "POKEMON_FAN_CLUB": ((1, 0), (6, 0)),
}
HIDDEN_EVENTS_RED: dict[int, frozenset[tuple[int, int]]] = {
    MAP_ID[k]: frozenset(v) for k, v in _HIDDEN_EVENTS_RED.items()}
HIDDEN_EVENTS_YELLOW: dict[int, frozenset[tuple[int, int]]] = {
    MAP_ID[k]: frozenset(v) for k, v in _HIDDEN_EVENTS_YELLOW.items()}

# Tiles that print a text when faced from below with A (data/tilesets/bookshelf_tile_ids.asm):
# bookshelves, the town map, statues, mart shelves, the elevator. Tileset id -> tile ids.
BOOKSHELF_TILES: dict[int, frozenset[int]] = {
    23: frozenset({0x30}),  # PLATEAU
    8: frozenset({0x3D, 0x1E}),  # HOUSE
    19: frozenset({0x32}),  # MANSION
    1: frozenset({0x32}),  # REDS_HOUSE_1
    20: frozenset({0x28}),  # LAB
    18: frozenset({0x16, 0x50, 0x52}),  # LOBBY
    7: frozenset({0x1D}),  # GYM
    5: frozenset({0x1D}),  # DOJO
    12: frozenset({0x22}),  # GATE
    2: frozenset({0x54, 0x55}),  # MART
    6: frozenset({0x54, 0x55}),  # POKECENTER
    13: frozenset({0x36}),  # SHIP
}

# --- the naming screen (engine/menus/naming_screen.asm) ----------------------------------------------

NAMING_UNDERSCORES = frozenset({0x76, 0x77})  # the name's blanks on row 3 (the raised one marks the cursor)
NAMING_ED_TILE = 0xF0  # the keyboard's "ED" key: LoadEDTile draws it over the ¥ tile
