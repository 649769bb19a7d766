"""Static tables for the Pokémon Crystal adapter, transcribed from the pret/pokecrystal disassembly.

Kept apart from the decoder so the decoder reads as logic. Sources (pret/pokecrystal):
- map ids: constants/map_constants.asm, in the layout of the retail ROM (it still holds the unused
  *_BETA maps, so e.g. VICTORY_ROAD is map 91 of group 3; hacks that drop those maps renumber them);
- species: constants/pokemon_constants.asm (internal index = National Dex number in Gen 2; $FD = EGG);
- text: constants/charmap.asm (only the glyphs that can appear in an English text box);
- collision classes: data/collision/collision_permissions.asm (TileCollisionTable) and
  data/collision/collision_stdscripts.asm, constants/collision_constants.asm.
"""

from __future__ import annotations

# --------------------------------------------------------------------------------------------------
# Maps: MAP_GROUPS[group - 1][number - 1] is the map constant (wMapGroup / wMapNumber are 1-based).
# --------------------------------------------------------------------------------------------------

MAP_GROUPS: tuple[tuple[str, ...], ...] = (
    (  # 1 Olivine
        "OLIVINE_POKECENTER_1F", "OLIVINE_GYM", "OLIVINE_TIMS_HOUSE", "OLIVINE_HOUSE_BETA",
        "OLIVINE_PUNISHMENT_SPEECH_HOUSE", "OLIVINE_GOOD_ROD_HOUSE", "OLIVINE_CAFE", "OLIVINE_MART",
        "ROUTE_38_ECRUTEAK_GATE", "ROUTE_39_BARN", "ROUTE_39_FARMHOUSE", "ROUTE_38", "ROUTE_39",
        "OLIVINE_CITY",
    ),
    (  # 2 Mahogany
        "MAHOGANY_RED_GYARADOS_SPEECH_HOUSE", "MAHOGANY_GYM", "MAHOGANY_POKECENTER_1F",
        "ROUTE_42_ECRUTEAK_GATE", "ROUTE_42", "ROUTE_44", "MAHOGANY_TOWN",
    ),
    (  # 3 Dungeons
        "SPROUT_TOWER_1F", "SPROUT_TOWER_2F", "SPROUT_TOWER_3F", "TIN_TOWER_1F", "TIN_TOWER_2F",
        "TIN_TOWER_3F", "TIN_TOWER_4F", "TIN_TOWER_5F", "TIN_TOWER_6F", "TIN_TOWER_7F", "TIN_TOWER_8F",
        "TIN_TOWER_9F", "BURNED_TOWER_1F", "BURNED_TOWER_B1F", "NATIONAL_PARK", "NATIONAL_PARK_BUG_CONTEST",
        "RADIO_TOWER_1F", "RADIO_TOWER_2F", "RADIO_TOWER_3F", "RADIO_TOWER_4F", "RADIO_TOWER_5F",
        "RUINS_OF_ALPH_OUTSIDE", "RUINS_OF_ALPH_HO_OH_CHAMBER", "RUINS_OF_ALPH_KABUTO_CHAMBER",
        "RUINS_OF_ALPH_OMANYTE_CHAMBER", "RUINS_OF_ALPH_AERODACTYL_CHAMBER", "RUINS_OF_ALPH_INNER_CHAMBER",
        "RUINS_OF_ALPH_RESEARCH_CENTER", "RUINS_OF_ALPH_HO_OH_ITEM_ROOM", "RUINS_OF_ALPH_KABUTO_ITEM_ROOM",
        "RUINS_OF_ALPH_OMANYTE_ITEM_ROOM", "RUINS_OF_ALPH_AERODACTYL_ITEM_ROOM",
        "RUINS_OF_ALPH_HO_OH_WORD_ROOM", "RUINS_OF_ALPH_KABUTO_WORD_ROOM", "RUINS_OF_ALPH_OMANYTE_WORD_ROOM",
        "RUINS_OF_ALPH_AERODACTYL_WORD_ROOM", "UNION_CAVE_1F", "UNION_CAVE_B1F", "UNION_CAVE_B2F",
        "SLOWPOKE_WELL_B1F", "SLOWPOKE_WELL_B2F", "OLIVINE_LIGHTHOUSE_1F", "OLIVINE_LIGHTHOUSE_2F",
        "OLIVINE_LIGHTHOUSE_3F", "OLIVINE_LIGHTHOUSE_4F", "OLIVINE_LIGHTHOUSE_5F", "OLIVINE_LIGHTHOUSE_6F",
        "MAHOGANY_MART_1F", "TEAM_ROCKET_BASE_B1F", "TEAM_ROCKET_BASE_B2F", "TEAM_ROCKET_BASE_B3F",
        "ILEX_FOREST", "GOLDENROD_UNDERGROUND", "GOLDENROD_UNDERGROUND_SWITCH_ROOM_ENTRANCES",
        "GOLDENROD_DEPT_STORE_B1F", "GOLDENROD_UNDERGROUND_WAREHOUSE", "MOUNT_MORTAR_1F_OUTSIDE",
        "MOUNT_MORTAR_1F_INSIDE", "MOUNT_MORTAR_2F_INSIDE", "MOUNT_MORTAR_B1F", "ICE_PATH_1F", "ICE_PATH_B1F",
        "ICE_PATH_B2F_MAHOGANY_SIDE", "ICE_PATH_B2F_BLACKTHORN_SIDE", "ICE_PATH_B3F", "WHIRL_ISLAND_NW",
        "WHIRL_ISLAND_NE", "WHIRL_ISLAND_SW", "WHIRL_ISLAND_CAVE", "WHIRL_ISLAND_SE", "WHIRL_ISLAND_B1F",
        "WHIRL_ISLAND_B2F", "WHIRL_ISLAND_LUGIA_CHAMBER", "SILVER_CAVE_ROOM_1", "SILVER_CAVE_ROOM_2",
        "SILVER_CAVE_ROOM_3", "SILVER_CAVE_ITEM_ROOMS", "DARK_CAVE_VIOLET_ENTRANCE",
        "DARK_CAVE_BLACKTHORN_ENTRANCE", "DRAGONS_DEN_1F", "DRAGONS_DEN_B1F", "DRAGON_SHRINE", "TOHJO_FALLS",
        "DIGLETTS_CAVE", "MOUNT_MOON", "UNDERGROUND_PATH", "ROCK_TUNNEL_1F", "ROCK_TUNNEL_B1F",
        "SAFARI_ZONE_FUCHSIA_GATE_BETA", "SAFARI_ZONE_BETA", "VICTORY_ROAD",
    ),
    (  # 4 Ecruteak
        "ECRUTEAK_TIN_TOWER_ENTRANCE", "WISE_TRIOS_ROOM", "ECRUTEAK_POKECENTER_1F",
        "ECRUTEAK_LUGIA_SPEECH_HOUSE", "DANCE_THEATRE", "ECRUTEAK_MART", "ECRUTEAK_GYM",
        "ECRUTEAK_ITEMFINDER_HOUSE", "ECRUTEAK_CITY",
    ),
    (  # 5 Blackthorn
        "BLACKTHORN_GYM_1F", "BLACKTHORN_GYM_2F", "BLACKTHORN_DRAGON_SPEECH_HOUSE", "BLACKTHORN_EMYS_HOUSE",
        "BLACKTHORN_MART", "BLACKTHORN_POKECENTER_1F", "MOVE_DELETERS_HOUSE", "ROUTE_45", "ROUTE_46",
        "BLACKTHORN_CITY",
    ),
    (  # 6 Cinnabar
        "CINNABAR_POKECENTER_1F", "CINNABAR_POKECENTER_2F_BETA", "ROUTE_19_FUCHSIA_GATE", "SEAFOAM_GYM",
        "ROUTE_19", "ROUTE_20", "ROUTE_21", "CINNABAR_ISLAND",
    ),
    (  # 7 Cerulean
        "CERULEAN_GYM_BADGE_SPEECH_HOUSE", "CERULEAN_POLICE_STATION", "CERULEAN_TRADE_SPEECH_HOUSE",
        "CERULEAN_POKECENTER_1F", "CERULEAN_POKECENTER_2F_BETA", "CERULEAN_GYM", "CERULEAN_MART",
        "ROUTE_10_POKECENTER_1F", "ROUTE_10_POKECENTER_2F_BETA", "POWER_PLANT", "BILLS_HOUSE", "ROUTE_4",
        "ROUTE_9", "ROUTE_10_NORTH", "ROUTE_24", "ROUTE_25", "CERULEAN_CITY",
    ),
    (  # 8 Azalea
        "AZALEA_POKECENTER_1F", "CHARCOAL_KILN", "AZALEA_MART", "KURTS_HOUSE", "AZALEA_GYM", "ROUTE_33",
        "AZALEA_TOWN",
    ),
    (  # 9 Lake of Rage
        "LAKE_OF_RAGE_HIDDEN_POWER_HOUSE", "LAKE_OF_RAGE_MAGIKARP_HOUSE", "ROUTE_43_MAHOGANY_GATE",
        "ROUTE_43_GATE", "ROUTE_43", "LAKE_OF_RAGE",
    ),
    (  # 10 Violet
        "ROUTE_32", "ROUTE_35", "ROUTE_36", "ROUTE_37", "VIOLET_CITY", "VIOLET_MART", "VIOLET_GYM",
        "EARLS_POKEMON_ACADEMY", "VIOLET_NICKNAME_SPEECH_HOUSE", "VIOLET_POKECENTER_1F", "VIOLET_KYLES_HOUSE",
        "ROUTE_32_RUINS_OF_ALPH_GATE", "ROUTE_32_POKECENTER_1F", "ROUTE_35_GOLDENROD_GATE",
        "ROUTE_35_NATIONAL_PARK_GATE", "ROUTE_36_RUINS_OF_ALPH_GATE", "ROUTE_36_NATIONAL_PARK_GATE",
    ),
    (  # 11 Goldenrod
        "ROUTE_34", "GOLDENROD_CITY", "GOLDENROD_GYM", "GOLDENROD_BIKE_SHOP", "GOLDENROD_HAPPINESS_RATER",
        "BILLS_FAMILYS_HOUSE", "GOLDENROD_MAGNET_TRAIN_STATION", "GOLDENROD_FLOWER_SHOP",
        "GOLDENROD_PP_SPEECH_HOUSE", "GOLDENROD_NAME_RATER", "GOLDENROD_DEPT_STORE_1F",
        "GOLDENROD_DEPT_STORE_2F", "GOLDENROD_DEPT_STORE_3F", "GOLDENROD_DEPT_STORE_4F",
        "GOLDENROD_DEPT_STORE_5F", "GOLDENROD_DEPT_STORE_6F", "GOLDENROD_DEPT_STORE_ELEVATOR",
        "GOLDENROD_DEPT_STORE_ROOF", "GOLDENROD_GAME_CORNER", "GOLDENROD_POKECENTER_1F",
        "POKECOM_CENTER_ADMIN_OFFICE_MOBILE", "ILEX_FOREST_AZALEA_GATE", "ROUTE_34_ILEX_FOREST_GATE",
        "DAY_CARE",
    ),
    (  # 12 Vermilion
        "ROUTE_6", "ROUTE_11", "VERMILION_CITY", "VERMILION_FISHING_SPEECH_HOUSE", "VERMILION_POKECENTER_1F",
        "VERMILION_POKECENTER_2F_BETA", "POKEMON_FAN_CLUB", "VERMILION_MAGNET_TRAIN_SPEECH_HOUSE",
        "VERMILION_MART", "VERMILION_DIGLETTS_CAVE_SPEECH_HOUSE", "VERMILION_GYM", "ROUTE_6_SAFFRON_GATE",
        "ROUTE_6_UNDERGROUND_PATH_ENTRANCE",
    ),
    (  # 13 Pallet
        "ROUTE_1", "PALLET_TOWN", "REDS_HOUSE_1F", "REDS_HOUSE_2F", "BLUES_HOUSE", "OAKS_LAB",
    ),
    (  # 14 Pewter
        "ROUTE_3", "PEWTER_CITY", "PEWTER_NIDORAN_SPEECH_HOUSE", "PEWTER_GYM", "PEWTER_MART",
        "PEWTER_POKECENTER_1F", "PEWTER_POKECENTER_2F_BETA", "PEWTER_SNOOZE_SPEECH_HOUSE",
    ),
    (  # 15 Fast Ship
        "OLIVINE_PORT", "VERMILION_PORT", "FAST_SHIP_1F", "FAST_SHIP_CABINS_NNW_NNE_NE",
        "FAST_SHIP_CABINS_SW_SSW_NW", "FAST_SHIP_CABINS_SE_SSE_CAPTAINS_CABIN", "FAST_SHIP_B1F",
        "OLIVINE_PORT_PASSAGE", "VERMILION_PORT_PASSAGE", "MOUNT_MOON_SQUARE", "MOUNT_MOON_GIFT_SHOP",
        "TIN_TOWER_ROOF",
    ),
    (  # 16 Indigo
        "ROUTE_23", "INDIGO_PLATEAU_POKECENTER_1F", "WILLS_ROOM", "KOGAS_ROOM", "BRUNOS_ROOM", "KARENS_ROOM",
        "LANCES_ROOM", "HALL_OF_FAME",
    ),
    (  # 17 Fuchsia
        "ROUTE_13", "ROUTE_14", "ROUTE_15", "ROUTE_18", "FUCHSIA_CITY", "FUCHSIA_MART",
        "SAFARI_ZONE_MAIN_OFFICE", "FUCHSIA_GYM", "BILLS_BROTHERS_HOUSE", "FUCHSIA_POKECENTER_1F",
        "FUCHSIA_POKECENTER_2F_BETA", "SAFARI_ZONE_WARDENS_HOME", "ROUTE_15_FUCHSIA_GATE",
    ),
    (  # 18 Lavender
        "ROUTE_8", "ROUTE_12", "ROUTE_10_SOUTH", "LAVENDER_TOWN", "LAVENDER_POKECENTER_1F",
        "LAVENDER_POKECENTER_2F_BETA", "MR_FUJIS_HOUSE", "LAVENDER_SPEECH_HOUSE", "LAVENDER_NAME_RATER",
        "LAVENDER_MART", "SOUL_HOUSE", "LAV_RADIO_TOWER_1F", "ROUTE_8_SAFFRON_GATE",
        "ROUTE_12_SUPER_ROD_HOUSE",
    ),
    (  # 19 Silver Cave
        "ROUTE_28", "SILVER_CAVE_OUTSIDE", "SILVER_CAVE_POKECENTER_1F", "ROUTE_28_STEEL_WING_HOUSE",
    ),
    (  # 20 Cable Club
        "POKECENTER_2F", "TRADE_CENTER", "COLOSSEUM", "TIME_CAPSULE", "MOBILE_TRADE_ROOM",
        "MOBILE_BATTLE_ROOM",
    ),
    (  # 21 Celadon
        "ROUTE_7", "ROUTE_16", "ROUTE_17", "CELADON_CITY", "CELADON_DEPT_STORE_1F", "CELADON_DEPT_STORE_2F",
        "CELADON_DEPT_STORE_3F", "CELADON_DEPT_STORE_4F", "CELADON_DEPT_STORE_5F", "CELADON_DEPT_STORE_6F",
        "CELADON_DEPT_STORE_ELEVATOR", "CELADON_MANSION_1F", "CELADON_MANSION_2F", "CELADON_MANSION_3F",
        "CELADON_MANSION_ROOF", "CELADON_MANSION_ROOF_HOUSE", "CELADON_POKECENTER_1F",
        "CELADON_POKECENTER_2F_BETA", "CELADON_GAME_CORNER", "CELADON_GAME_CORNER_PRIZE_ROOM", "CELADON_GYM",
        "CELADON_CAFE", "ROUTE_16_FUCHSIA_SPEECH_HOUSE", "ROUTE_16_GATE", "ROUTE_7_SAFFRON_GATE",
        "ROUTE_17_ROUTE_18_GATE",
    ),
    (  # 22 Cianwood
        "ROUTE_40", "ROUTE_41", "CIANWOOD_CITY", "MANIAS_HOUSE", "CIANWOOD_GYM", "CIANWOOD_POKECENTER_1F",
        "CIANWOOD_PHARMACY", "CIANWOOD_PHOTO_STUDIO", "CIANWOOD_LUGIA_SPEECH_HOUSE", "POKE_SEERS_HOUSE",
        "BATTLE_TOWER_1F", "BATTLE_TOWER_BATTLE_ROOM", "BATTLE_TOWER_ELEVATOR", "BATTLE_TOWER_HALLWAY",
        "ROUTE_40_BATTLE_TOWER_GATE", "BATTLE_TOWER_OUTSIDE",
    ),
    (  # 23 Viridian
        "ROUTE_2", "ROUTE_22", "VIRIDIAN_CITY", "VIRIDIAN_GYM", "VIRIDIAN_NICKNAME_SPEECH_HOUSE",
        "TRAINER_HOUSE_1F", "TRAINER_HOUSE_B1F", "VIRIDIAN_MART", "VIRIDIAN_POKECENTER_1F",
        "VIRIDIAN_POKECENTER_2F_BETA", "ROUTE_2_NUGGET_HOUSE", "ROUTE_2_GATE", "VICTORY_ROAD_GATE",
    ),
    (  # 24 New Bark
        "ROUTE_26", "ROUTE_27", "ROUTE_29", "NEW_BARK_TOWN", "ELMS_LAB", "PLAYERS_HOUSE_1F",
        "PLAYERS_HOUSE_2F", "PLAYERS_NEIGHBORS_HOUSE", "ELMS_HOUSE", "ROUTE_26_HEAL_HOUSE",
        "DAY_OF_WEEK_SIBLINGS_HOUSE", "ROUTE_27_SANDSTORM_HOUSE", "ROUTE_29_ROUTE_46_GATE",
    ),
    (  # 25 Saffron
        "ROUTE_5", "SAFFRON_CITY", "FIGHTING_DOJO", "SAFFRON_GYM", "SAFFRON_MART", "SAFFRON_POKECENTER_1F",
        "SAFFRON_POKECENTER_2F_BETA", "MR_PSYCHICS_HOUSE", "SAFFRON_MAGNET_TRAIN_STATION", "SILPH_CO_1F",
        "COPYCATS_HOUSE_1F", "COPYCATS_HOUSE_2F", "ROUTE_5_UNDERGROUND_PATH_ENTRANCE", "ROUTE_5_SAFFRON_GATE",
        "ROUTE_5_CLEANSE_TAG_HOUSE",
    ),
    (  # 26 Cherrygrove
        "ROUTE_30", "ROUTE_31", "CHERRYGROVE_CITY", "CHERRYGROVE_MART", "CHERRYGROVE_POKECENTER_1F",
        "CHERRYGROVE_GYM_SPEECH_HOUSE", "GUIDE_GENTS_HOUSE", "CHERRYGROVE_EVOLUTION_SPEECH_HOUSE",
        "ROUTE_30_BERRY_HOUSE", "MR_POKEMONS_HOUSE", "ROUTE_31_VIOLET_GATE",
    ),
)

MAP_IDS: dict[str, tuple[int, int]] = {
    name: (g + 1, n + 1) for g, group in enumerate(MAP_GROUPS) for n, name in enumerate(group)
}


def map_constant(group: int, number: int) -> str | None:
    """The map constant for (wMapGroup, wMapNumber), or None for ids outside the retail table."""
    if 1 <= group <= len(MAP_GROUPS) and 1 <= number <= len(MAP_GROUPS[group - 1]):
        return MAP_GROUPS[group - 1][number - 1]
    return None


# Words the plain title-casing below would get wrong (possessives lost their apostrophe in the
# constant names; Poké words lost their accent).
_WORD_FIXES: dict[str, str] = {
    "ELMS": "Elm's", "PLAYERS": "Player's", "OAKS": "Oak's", "REDS": "Red's", "BLUES": "Blue's",
    "KURTS": "Kurt's", "BILLS": "Bill's", "EARLS": "Earl's", "GENTS": "Gent's", "MANIAS": "Mania's",
    "WILLS": "Will's", "KOGAS": "Koga's", "BRUNOS": "Bruno's", "KARENS": "Karen's", "LANCES": "Lance's",
    "FUJIS": "Fuji's", "PSYCHICS": "Psychic's", "DRAGONS": "Dragon's", "DIGLETTS": "Diglett's",
    "COPYCATS": "Copycat's", "EMYS": "Emy's", "KYLES": "Kyle's", "TIMS": "Tim's", "WARDENS": "Warden's",
    "NEIGHBORS": "Neighbor's", "TRIOS": "Trio's", "FAMILYS": "Family's", "BROTHERS": "Brother's",
    "DELETERS": "Deleter's", "SEERS": "Seers'", "CAPTAINS": "Captain's", "POKEMONS": "Pokémon's",
    "POKEMON": "Pokémon", "POKECENTER": "Pokécenter", "POKECOM": "PokéCom", "POKE": "Poké", "MR": "Mr.",
    "HO": "Ho-Oh", "OH": "", "PP": "PP", "TM": "TM", "NNW": "NNW", "NNE": "NNE", "NE": "NE", "NW": "NW",
    "SW": "SW", "SSW": "SSW", "SE": "SE", "SSE": "SSE", "LAV": "Lavender", "OF": "of", "BETA": "(beta)",
}


def map_display_name(constant: str) -> str:
    """Human name for a map constant: 'ELMS_LAB' -> "Elm's Lab", 'SPROUT_TOWER_2F' -> 'Sprout Tower 2F'."""
    words = []
    for word in constant.split("_"):
        if word in _WORD_FIXES:
            fixed = _WORD_FIXES[word]
        elif any(ch.isdigit() for ch in word):
            fixed = word  # 29, 1F, B2F
        else:
            fixed = word.capitalize()
        if fixed:
            words.append(fixed)
    return " ".join(words)


# --------------------------------------------------------------------------------------------------
# Species: index -> in-game name (uppercase as the game prints it).
# --------------------------------------------------------------------------------------------------

SPECIES_NAMES: tuple[str, ...] = (
    "BULBASAUR", "IVYSAUR", "VENUSAUR", "CHARMANDER", "CHARMELEON", "CHARIZARD", "SQUIRTLE", "WARTORTLE",
    "BLASTOISE", "CATERPIE", "METAPOD", "BUTTERFREE", "WEEDLE", "KAKUNA", "BEEDRILL", "PIDGEY", "PIDGEOTTO",
    "PIDGEOT", "RATTATA", "RATICATE", "SPEAROW", "FEAROW", "EKANS", "ARBOK", "PIKACHU", "RAICHU",
    "SANDSHREW", "SANDSLASH", "NIDORAN♀", "NIDORINA", "NIDOQUEEN", "NIDORAN♂", "NIDORINO", "NIDOKING",
    "CLEFAIRY", "CLEFABLE", "VULPIX", "NINETALES", "JIGGLYPUFF", "WIGGLYTUFF", "ZUBAT", "GOLBAT", "ODDISH",
    "GLOOM", "VILEPLUME", "PARAS", "PARASECT", "VENONAT", "VENOMOTH", "DIGLETT", "DUGTRIO", "MEOWTH",
    "PERSIAN", "PSYDUCK", "GOLDUCK", "MANKEY", "PRIMEAPE", "GROWLITHE", "ARCANINE", "POLIWAG", "POLIWHIRL",
    "POLIWRATH", "ABRA", "KADABRA", "ALAKAZAM", "MACHOP", "MACHOKE", "MACHAMP", "BELLSPROUT", "WEEPINBELL",
    "VICTREEBEL", "TENTACOOL", "TENTACRUEL", "GEODUDE", "GRAVELER", "GOLEM", "PONYTA", "RAPIDASH",
    "SLOWPOKE", "SLOWBRO", "MAGNEMITE", "MAGNETON", "FARFETCH'D", "DODUO", "DODRIO", "SEEL", "DEWGONG",
    "GRIMER", "MUK", "SHELLDER", "CLOYSTER", "GASTLY", "HAUNTER", "GENGAR", "ONIX", "DROWZEE", "HYPNO",
    "KRABBY", "KINGLER", "VOLTORB", "ELECTRODE", "EXEGGCUTE", "EXEGGUTOR", "CUBONE", "MAROWAK", "HITMONLEE",
    "HITMONCHAN", "LICKITUNG", "KOFFING", "WEEZING", "RHYHORN", "RHYDON", "CHANSEY", "TANGELA", "KANGASKHAN",
    "HORSEA", "SEADRA", "GOLDEEN", "SEAKING", "STARYU", "STARMIE", "MR.MIME", "SCYTHER", "JYNX",
    "ELECTABUZZ", "MAGMAR", "PINSIR", "TAUROS", "MAGIKARP", "GYARADOS", "LAPRAS", "DITTO", "EEVEE",
    "VAPOREON", "JOLTEON", "FLAREON", "PORYGON", "OMANYTE", "OMASTAR", "KABUTO", "KABUTOPS", "AERODACTYL",
    "SNORLAX", "ARTICUNO", "ZAPDOS", "MOLTRES", "DRATINI", "DRAGONAIR", "DRAGONITE", "MEWTWO", "MEW",
    "CHIKORITA", "BAYLEEF", "MEGANIUM", "CYNDAQUIL", "QUILAVA", "TYPHLOSION", "TOTODILE", "CROCONAW",
    "FERALIGATR", "SENTRET", "FURRET", "HOOTHOOT", "NOCTOWL", "LEDYBA", "LEDIAN", "SPINARAK", "ARIADOS",
    "CROBAT", "CHINCHOU", "LANTURN", "PICHU", "CLEFFA", "IGGLYBUFF", "TOGEPI", "TOGETIC", "NATU", "XATU",
    "MAREEP", "FLAAFFY", "AMPHAROS", "BELLOSSOM", "MARILL", "AZUMARILL", "SUDOWOODO", "POLITOED", "HOPPIP",
    "SKIPLOOM", "JUMPLUFF", "AIPOM", "SUNKERN", "SUNFLORA", "YANMA", "WOOPER", "QUAGSIRE", "ESPEON",
    "UMBREON", "MURKROW", "SLOWKING", "MISDREAVUS", "UNOWN", "WOBBUFFET", "GIRAFARIG", "PINECO",
    "FORRETRESS", "DUNSPARCE", "GLIGAR", "STEELIX", "SNUBBULL", "GRANBULL", "QWILFISH", "SCIZOR", "SHUCKLE",
    "HERACROSS", "SNEASEL", "TEDDIURSA", "URSARING", "SLUGMA", "MAGCARGO", "SWINUB", "PILOSWINE", "CORSOLA",
    "REMORAID", "OCTILLERY", "DELIBIRD", "MANTINE", "SKARMORY", "HOUNDOUR", "HOUNDOOM", "KINGDRA", "PHANPY",
    "DONPHAN", "PORYGON2", "STANTLER", "SMEARGLE", "TYROGUE", "HITMONTOP", "SMOOCHUM", "ELEKID", "MAGBY",
    "MILTANK", "BLISSEY", "RAIKOU", "ENTEI", "SUICUNE", "LARVITAR", "PUPITAR", "TYRANITAR", "LUGIA", "HO-OH",
    "CELEBI",
)
EGG = 0xFD


def species_name(index: int) -> str:
    if 1 <= index <= len(SPECIES_NAMES):
        return SPECIES_NAMES[index - 1]
    if index == EGG:
        return "EGG"
    return f"SPECIES_{index:02X}"


# --------------------------------------------------------------------------------------------------
# Text: tile id -> glyph, for the English font (constants/charmap.asm).
# --------------------------------------------------------------------------------------------------

CHARMAP: dict[int, str] = {
    0x7F: " ",
    0x72: "“", 0x73: "”", 0x75: "…", 0x60: "■", 0x61: "▲", 0x62: "☎",
    0x9A: "(", 0x9B: ")", 0x9C: ":", 0x9D: ";", 0x9E: "[", 0x9F: "]",
    0xC0: "Ä", 0xC1: "Ö", 0xC2: "Ü", 0xC3: "ä", 0xC4: "ö", 0xC5: "ü",
    0xD0: "'d", 0xD1: "'l", 0xD2: "'m", 0xD3: "'r", 0xD4: "'s", 0xD5: "'t", 0xD6: "'v",
    0xDF: "←", 0xE0: "'", 0xE1: "PK", 0xE2: "MN", 0xE3: "-", 0xE6: "?", 0xE7: "!", 0xE8: ".", 0xE9: "&",
    0xEA: "é", 0xEB: "→", 0xEC: "▷", 0xED: "▶", 0xEE: "▼", 0xEF: "♂", 0xF0: "¥", 0xF1: "×", 0xF2: ".",
    0xF3: "/", 0xF4: ",", 0xF5: "♀",
}
CHARMAP.update({0x80 + i: chr(ord("A") + i) for i in range(26)})
CHARMAP.update({0xA0 + i: chr(ord("a") + i) for i in range(26)})
CHARMAP.update({0xF6 + i: str(i) for i in range(10)})

# Text box frame tiles (charmap "┌" "─" "┐" "│" "└" "┘").
BOX_TOP_LEFT, BOX_HORIZONTAL, BOX_TOP_RIGHT, BOX_VERTICAL, BOX_BOTTOM_LEFT, BOX_BOTTOM_RIGHT = (
    0x79, 0x7A, 0x7B, 0x7C, 0x7D, 0x7E,
)


def decode_text(tiles: bytes | list[int], overrides: dict[int, str] | None = None) -> str:
    """Tile ids -> text; ids with no glyph (map graphics, HUD pieces) read as spaces. `overrides` reads
    some ids differently on one screen (the naming screen's blanks)."""
    if overrides:
        return "".join(overrides.get(t, CHARMAP.get(t, " ")) for t in tiles)
    return "".join(CHARMAP.get(t, " ") for t in tiles)


# Arrows drawn into a box's frame by the clock setting (engine/rtc/timeset.asm): InitClock loads them
# as tiles $01/$02, SetDayOfWeek draws them over the "♂"/"♀" tiles $EF/$F5. (Not the ▼ "more text"
# prompt, which the speech box also shows on its bottom edge.)
FRAME_ARROW_TILES: frozenset[int] = frozenset([0x01, 0x02, 0xEF, 0xF5])
MORE_TEXT_ARROW = 0xEE  # "▼", drawn at (18, 17): on the speech box's bottom edge

# The naming screen (engine/menus/naming_screen.asm): the whole screen is filled with the border tile
# NAMINGSCREEN_BORDER ($60), then the prompt area and the keyboard are cleared and written. The name
# being typed shows its blanks as NAMINGSCREEN_UNDERLINE ($F2, the cursor) and NAMINGSCREEN_MIDDLELINE
# ($EB); the cursor on the keyboard is a sprite, not a tile.
NAMING_BORDER = 0x60
NAMING_OVERRIDES: dict[int, str] = {0x60: " ", 0xF2: "_", 0xEB: "_"}

# Sprite ids (constants/sprite_constants.asm) of things rather than people: Poké Balls (item balls and
# the starter balls on Elm's desk), the Pokédex, papers, game consoles, trophies, fruit trees, and the
# variable sprites of the bedroom console and dolls. Drawn '?' on the text map.
ITEM_SPRITES: frozenset[int] = frozenset(
    [0x51, 0x54, 0x55, 0x56, 0x57, 0x5B, 0x5C, 0x5D, 0x5E, 0x5F, 0xF0, 0xF1, 0xF2, 0xF3]
)


# --------------------------------------------------------------------------------------------------
# Collision classes (TileCollisionTable): what the player can do on a tile with this collision byte.
# --------------------------------------------------------------------------------------------------

WALL_COLLISIONS: frozenset[int] = frozenset(
    [0x06, 0x07, 0x0F, 0x12, 0x15, 0x1A, 0x1D, 0x27, 0x2F, 0x62, 0x6A, 0xFF]
    + list(range(0x80, 0x85)) + list(range(0x88, 0x8D)) + list(range(0x90, 0xA0))
)
WATER_COLLISIONS: frozenset[int] = frozenset(
    [0x20, 0x21, 0x22, 0x24, 0x25, 0x26, 0x28, 0x29, 0x2A, 0x2C, 0x2D, 0x2E]
    + list(range(0x30, 0x40)) + list(range(0xC0, 0xD0))
)
GRASS_COLLISIONS: frozenset[int] = frozenset([0x10, 0x14, 0x18, 0x1C])  # tall / long grass (wild encounters)
LEDGE_COLLISIONS: frozenset[int] = frozenset(range(0xA0, 0xA8))  # COLL_HOP_*
# Tiles that run a std script when faced and A is pressed (TileCollisionStdScripts): bookshelf, PC,
# radio, town map, mart shelf, TV, window, incense burner.
STDSCRIPT_COLLISIONS: frozenset[int] = frozenset([0x91, 0x93, 0x94, 0x95, 0x96, 0x97, 0x9D, 0x9F])
