"""Static tables for the Pokémon Emerald adapter, transcribed from the pret/pokeemerald decompilation.

Kept apart from the decoder so the decoder reads as logic. Sources (pret/pokeemerald):
- maps: data/maps/map_groups.json (`group_order`, then each group's maps in order: the map's group is its
  group's index in `group_order`, its number its index in the group, as tools/mapjson writes
  include/constants/map_groups.h: MAP_LITTLEROOT_TOWN = (9 | (0 << 8)), MAP_PETALBURG_WOODS = (11 | (24 << 8)));
- species: include/constants/species.h (internal index: 1-251 are the National Dex order, 252-276 the unused
  "?" slots SPECIES_OLD_UNOWN_B..Z, 277-411 the Hoenn species in the game's own order, 412 SPECIES_EGG) and
  src/data/text/species_names.h for the spelling;
- text: charmap.txt (the glyphs of the English font and the control bytes);
- metatile behaviors: include/constants/metatile_behaviors.h;
- flags and vars: include/constants/flags.h (SYSTEM_FLAGS = 0x860) and include/constants/vars.h
  (VARS_START = 0x4000), with the scripts in data/maps/*/scripts.inc that set them (named per milestone).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# --------------------------------------------------------------------------------------------------
# Maps: MAP_GROUPS[group][1][number] is the map's name in data/maps/map_groups.json.
# --------------------------------------------------------------------------------------------------

MAP_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("TownsAndRoutes", (
        "PetalburgCity", "SlateportCity", "MauvilleCity", "RustboroCity", "FortreeCity", "LilycoveCity",
        "MossdeepCity", "SootopolisCity", "EverGrandeCity", "LittlerootTown", "OldaleTown", "DewfordTown",
        "LavaridgeTown", "FallarborTown", "VerdanturfTown", "PacifidlogTown", "Route101", "Route102", "Route103",
        "Route104", "Route105", "Route106", "Route107", "Route108", "Route109", "Route110", "Route111",
        "Route112", "Route113", "Route114", "Route115", "Route116", "Route117", "Route118", "Route119",
        "Route120", "Route121", "Route122", "Route123", "Route124", "Route125", "Route126", "Route127",
        "Route128", "Route129", "Route130", "Route131", "Route132", "Route133", "Route134", "Underwater_Route124",
        "Underwater_Route126", "Underwater_Route127", "Underwater_Route128", "Underwater_Route129",
        "Underwater_Route105", "Underwater_Route125",
    )),
    ("IndoorLittleroot", (
        "LittlerootTown_BrendansHouse_1F", "LittlerootTown_BrendansHouse_2F", "LittlerootTown_MaysHouse_1F",
        "LittlerootTown_MaysHouse_2F", "LittlerootTown_ProfessorBirchsLab",
    )),
    ("IndoorOldale", (
        "OldaleTown_House1", "OldaleTown_House2", "OldaleTown_PokemonCenter_1F", "OldaleTown_PokemonCenter_2F",
        "OldaleTown_Mart",
    )),
    ("IndoorDewford", (
        "DewfordTown_House1", "DewfordTown_PokemonCenter_1F", "DewfordTown_PokemonCenter_2F", "DewfordTown_Gym",
        "DewfordTown_Hall", "DewfordTown_House2",
    )),
    ("IndoorLavaridge", (
        "LavaridgeTown_HerbShop", "LavaridgeTown_Gym_1F", "LavaridgeTown_Gym_B1F", "LavaridgeTown_House",
        "LavaridgeTown_Mart", "LavaridgeTown_PokemonCenter_1F", "LavaridgeTown_PokemonCenter_2F",
    )),
    ("IndoorFallarbor", (
        "FallarborTown_Mart", "FallarborTown_BattleTentLobby", "FallarborTown_BattleTentCorridor",
        "FallarborTown_BattleTentBattleRoom", "FallarborTown_PokemonCenter_1F", "FallarborTown_PokemonCenter_2F",
        "FallarborTown_CozmosHouse", "FallarborTown_MoveRelearnersHouse",
    )),
    ("IndoorVerdanturf", (
        "VerdanturfTown_BattleTentLobby", "VerdanturfTown_BattleTentCorridor",
        "VerdanturfTown_BattleTentBattleRoom", "VerdanturfTown_Mart", "VerdanturfTown_PokemonCenter_1F",
        "VerdanturfTown_PokemonCenter_2F", "VerdanturfTown_WandasHouse", "VerdanturfTown_FriendshipRatersHouse",
        "VerdanturfTown_House",
    )),
    ("IndoorPacifidlog", (
        "PacifidlogTown_PokemonCenter_1F", "PacifidlogTown_PokemonCenter_2F", "PacifidlogTown_House1",
        "PacifidlogTown_House2", "PacifidlogTown_House3", "PacifidlogTown_House4", "PacifidlogTown_House5",
    )),
    ("IndoorPetalburg", (
        "PetalburgCity_WallysHouse", "PetalburgCity_Gym", "PetalburgCity_House1", "PetalburgCity_House2",
        "PetalburgCity_PokemonCenter_1F", "PetalburgCity_PokemonCenter_2F", "PetalburgCity_Mart",
    )),
    ("IndoorSlateport", (
        "SlateportCity_SternsShipyard_1F", "SlateportCity_SternsShipyard_2F", "SlateportCity_BattleTentLobby",
        "SlateportCity_BattleTentCorridor", "SlateportCity_BattleTentBattleRoom", "SlateportCity_NameRatersHouse",
        "SlateportCity_PokemonFanClub", "SlateportCity_OceanicMuseum_1F", "SlateportCity_OceanicMuseum_2F",
        "SlateportCity_Harbor", "SlateportCity_House", "SlateportCity_PokemonCenter_1F",
        "SlateportCity_PokemonCenter_2F", "SlateportCity_Mart",
    )),
    ("IndoorMauville", (
        "MauvilleCity_Gym", "MauvilleCity_BikeShop", "MauvilleCity_House1", "MauvilleCity_GameCorner",
        "MauvilleCity_House2", "MauvilleCity_PokemonCenter_1F", "MauvilleCity_PokemonCenter_2F",
        "MauvilleCity_Mart",
    )),
    ("IndoorRustboro", (
        "RustboroCity_DevonCorp_1F", "RustboroCity_DevonCorp_2F", "RustboroCity_DevonCorp_3F", "RustboroCity_Gym",
        "RustboroCity_PokemonSchool", "RustboroCity_PokemonCenter_1F", "RustboroCity_PokemonCenter_2F",
        "RustboroCity_Mart", "RustboroCity_Flat1_1F", "RustboroCity_Flat1_2F", "RustboroCity_House1",
        "RustboroCity_CuttersHouse", "RustboroCity_House2", "RustboroCity_Flat2_1F", "RustboroCity_Flat2_2F",
        "RustboroCity_Flat2_3F", "RustboroCity_House3",
    )),
    ("IndoorFortree", (
        "FortreeCity_House1", "FortreeCity_Gym", "FortreeCity_PokemonCenter_1F", "FortreeCity_PokemonCenter_2F",
        "FortreeCity_Mart", "FortreeCity_House2", "FortreeCity_House3", "FortreeCity_House4",
        "FortreeCity_House5", "FortreeCity_DecorationShop",
    )),
    ("IndoorLilycove", (
        "LilycoveCity_CoveLilyMotel_1F", "LilycoveCity_CoveLilyMotel_2F", "LilycoveCity_LilycoveMuseum_1F",
        "LilycoveCity_LilycoveMuseum_2F", "LilycoveCity_ContestLobby", "LilycoveCity_ContestHall",
        "LilycoveCity_PokemonCenter_1F", "LilycoveCity_PokemonCenter_2F", "LilycoveCity_UnusedMart",
        "LilycoveCity_PokemonTrainerFanClub", "LilycoveCity_Harbor", "LilycoveCity_MoveDeletersHouse",
        "LilycoveCity_House1", "LilycoveCity_House2", "LilycoveCity_House3", "LilycoveCity_House4",
        "LilycoveCity_DepartmentStore_1F", "LilycoveCity_DepartmentStore_2F", "LilycoveCity_DepartmentStore_3F",
        "LilycoveCity_DepartmentStore_4F", "LilycoveCity_DepartmentStore_5F",
        "LilycoveCity_DepartmentStoreRooftop", "LilycoveCity_DepartmentStoreElevator",
    )),
    ("IndoorMossdeep", (
        "MossdeepCity_Gym", "MossdeepCity_House1", "MossdeepCity_House2", "MossdeepCity_PokemonCenter_1F",
        "MossdeepCity_PokemonCenter_2F", "MossdeepCity_Mart", "MossdeepCity_House3", "MossdeepCity_StevensHouse",
        "MossdeepCity_House4", "MossdeepCity_SpaceCenter_1F", "MossdeepCity_SpaceCenter_2F",
        "MossdeepCity_GameCorner_1F", "MossdeepCity_GameCorner_B1F",
    )),
    ("IndoorSootopolis", (
        "SootopolisCity_Gym_1F", "SootopolisCity_Gym_B1F", "SootopolisCity_PokemonCenter_1F",
        "SootopolisCity_PokemonCenter_2F", "SootopolisCity_Mart", "SootopolisCity_House1", "SootopolisCity_House2",
        "SootopolisCity_House3", "SootopolisCity_House4", "SootopolisCity_House5", "SootopolisCity_House6",
        "SootopolisCity_House7", "SootopolisCity_LotadAndSeedotHouse", "SootopolisCity_MysteryEventsHouse_1F",
        "SootopolisCity_MysteryEventsHouse_B1F",
    )),
    ("IndoorEverGrande", (
        "EverGrandeCity_SidneysRoom", "EverGrandeCity_PhoebesRoom", "EverGrandeCity_GlaciasRoom",
        "EverGrandeCity_DrakesRoom", "EverGrandeCity_ChampionsRoom", "EverGrandeCity_Hall1",
        "EverGrandeCity_Hall2", "EverGrandeCity_Hall3", "EverGrandeCity_Hall4", "EverGrandeCity_Hall5",
        "EverGrandeCity_PokemonLeague_1F", "EverGrandeCity_HallOfFame", "EverGrandeCity_PokemonCenter_1F",
        "EverGrandeCity_PokemonCenter_2F", "EverGrandeCity_PokemonLeague_2F",
    )),
    ("IndoorRoute104", ("Route104_MrBrineysHouse", "Route104_PrettyPetalFlowerShop")),
    ("IndoorRoute111", ("Route111_WinstrateFamilysHouse", "Route111_OldLadysRestStop")),
    ("IndoorRoute112", ("Route112_CableCarStation", "MtChimney_CableCarStation")),
    ("IndoorRoute114", ("Route114_FossilManiacsHouse", "Route114_FossilManiacsTunnel", "Route114_LanettesHouse")),
    ("IndoorRoute116", ("Route116_TunnelersRestHouse",)),
    ("IndoorRoute117", ("Route117_PokemonDayCare",)),
    ("IndoorRoute121", ("Route121_SafariZoneEntrance",)),
    ("Dungeons", (
        "MeteorFalls_1F_1R", "MeteorFalls_1F_2R", "MeteorFalls_B1F_1R", "MeteorFalls_B1F_2R", "RusturfTunnel",
        "Underwater_SootopolisCity", "DesertRuins", "GraniteCave_1F", "GraniteCave_B1F", "GraniteCave_B2F",
        "GraniteCave_StevensRoom", "PetalburgWoods", "MtChimney", "JaggedPass", "FieryPath", "MtPyre_1F",
        "MtPyre_2F", "MtPyre_3F", "MtPyre_4F", "MtPyre_5F", "MtPyre_6F", "MtPyre_Exterior", "MtPyre_Summit",
        "AquaHideout_1F", "AquaHideout_B1F", "AquaHideout_B2F", "Underwater_SeafloorCavern",
        "SeafloorCavern_Entrance", "SeafloorCavern_Room1", "SeafloorCavern_Room2", "SeafloorCavern_Room3",
        "SeafloorCavern_Room4", "SeafloorCavern_Room5", "SeafloorCavern_Room6", "SeafloorCavern_Room7",
        "SeafloorCavern_Room8", "SeafloorCavern_Room9", "CaveOfOrigin_Entrance", "CaveOfOrigin_1F",
        "CaveOfOrigin_UnusedRubySapphireMap1", "CaveOfOrigin_UnusedRubySapphireMap2",
        "CaveOfOrigin_UnusedRubySapphireMap3", "CaveOfOrigin_B1F", "VictoryRoad_1F", "VictoryRoad_B1F",
        "VictoryRoad_B2F", "ShoalCave_LowTideEntranceRoom", "ShoalCave_LowTideInnerRoom",
        "ShoalCave_LowTideStairsRoom", "ShoalCave_LowTideLowerRoom", "ShoalCave_HighTideEntranceRoom",
        "ShoalCave_HighTideInnerRoom", "NewMauville_Entrance", "NewMauville_Inside", "AbandonedShip_Deck",
        "AbandonedShip_Corridors_1F", "AbandonedShip_Rooms_1F", "AbandonedShip_Corridors_B1F",
        "AbandonedShip_Rooms_B1F", "AbandonedShip_Rooms2_B1F", "AbandonedShip_Underwater1",
        "AbandonedShip_Room_B1F", "AbandonedShip_Rooms2_1F", "AbandonedShip_CaptainsOffice",
        "AbandonedShip_Underwater2", "AbandonedShip_HiddenFloorCorridors", "AbandonedShip_HiddenFloorRooms",
        "IslandCave", "AncientTomb", "Underwater_Route134", "Underwater_SealedChamber", "SealedChamber_OuterRoom",
        "SealedChamber_InnerRoom", "ScorchedSlab", "AquaHideout_UnusedRubyMap1", "AquaHideout_UnusedRubyMap2",
        "AquaHideout_UnusedRubyMap3", "SkyPillar_Entrance", "SkyPillar_Outside", "SkyPillar_1F", "SkyPillar_2F",
        "SkyPillar_3F", "SkyPillar_4F", "ShoalCave_LowTideIceRoom", "SkyPillar_5F", "SkyPillar_Top",
        "MagmaHideout_1F", "MagmaHideout_2F_1R", "MagmaHideout_2F_2R", "MagmaHideout_3F_1R", "MagmaHideout_3F_2R",
        "MagmaHideout_4F", "MagmaHideout_3F_3R", "MagmaHideout_2F_3R", "MirageTower_1F", "MirageTower_2F",
        "MirageTower_3F", "MirageTower_4F", "DesertUnderpass", "ArtisanCave_B1F", "ArtisanCave_1F",
        "Underwater_MarineCave", "MarineCave_Entrance", "MarineCave_End", "TerraCave_Entrance", "TerraCave_End",
        "AlteringCave", "MeteorFalls_StevensCave",
    )),
    ("IndoorDynamic", (
        "SecretBase_RedCave1", "SecretBase_BrownCave1", "SecretBase_BlueCave1", "SecretBase_YellowCave1",
        "SecretBase_Tree1", "SecretBase_Shrub1", "SecretBase_RedCave2", "SecretBase_BrownCave2",
        "SecretBase_BlueCave2", "SecretBase_YellowCave2", "SecretBase_Tree2", "SecretBase_Shrub2",
        "SecretBase_RedCave3", "SecretBase_BrownCave3", "SecretBase_BlueCave3", "SecretBase_YellowCave3",
        "SecretBase_Tree3", "SecretBase_Shrub3", "SecretBase_RedCave4", "SecretBase_BrownCave4",
        "SecretBase_BlueCave4", "SecretBase_YellowCave4", "SecretBase_Tree4", "SecretBase_Shrub4",
        "BattleColosseum_2P", "TradeCenter", "RecordCorner", "BattleColosseum_4P", "ContestHall",
        "UnusedContestHall1", "UnusedContestHall2", "UnusedContestHall3", "UnusedContestHall4",
        "UnusedContestHall5", "UnusedContestHall6", "ContestHallBeauty", "ContestHallTough", "ContestHallCool",
        "ContestHallSmart", "ContestHallCute", "InsideOfTruck", "SSTidalCorridor", "SSTidalLowerDeck",
        "SSTidalRooms", "BattlePyramidSquare01", "BattlePyramidSquare02", "BattlePyramidSquare03",
        "BattlePyramidSquare04", "BattlePyramidSquare05", "BattlePyramidSquare06", "BattlePyramidSquare07",
        "BattlePyramidSquare08", "BattlePyramidSquare09", "BattlePyramidSquare10", "BattlePyramidSquare11",
        "BattlePyramidSquare12", "BattlePyramidSquare13", "BattlePyramidSquare14", "BattlePyramidSquare15",
        "BattlePyramidSquare16", "UnionRoom",
    )),
    ("SpecialArea", (
        "SafariZone_Northwest", "SafariZone_North", "SafariZone_Southwest", "SafariZone_South",
        "BattleFrontier_OutsideWest", "BattleFrontier_BattleTowerLobby", "BattleFrontier_BattleTowerElevator",
        "BattleFrontier_BattleTowerCorridor", "BattleFrontier_BattleTowerBattleRoom", "SouthernIsland_Exterior",
        "SouthernIsland_Interior", "SafariZone_RestHouse", "SafariZone_Northeast", "SafariZone_Southeast",
        "BattleFrontier_OutsideEast", "BattleFrontier_BattleTowerMultiPartnerRoom",
        "BattleFrontier_BattleTowerMultiCorridor", "BattleFrontier_BattleTowerMultiBattleRoom",
        "BattleFrontier_BattleDomeLobby", "BattleFrontier_BattleDomeCorridor",
        "BattleFrontier_BattleDomePreBattleRoom", "BattleFrontier_BattleDomeBattleRoom",
        "BattleFrontier_BattlePalaceLobby", "BattleFrontier_BattlePalaceCorridor",
        "BattleFrontier_BattlePalaceBattleRoom", "BattleFrontier_BattlePyramidLobby",
        "BattleFrontier_BattlePyramidFloor", "BattleFrontier_BattlePyramidTop", "BattleFrontier_BattleArenaLobby",
        "BattleFrontier_BattleArenaCorridor", "BattleFrontier_BattleArenaBattleRoom",
        "BattleFrontier_BattleFactoryLobby", "BattleFrontier_BattleFactoryPreBattleRoom",
        "BattleFrontier_BattleFactoryBattleRoom", "BattleFrontier_BattlePikeLobby",
        "BattleFrontier_BattlePikeCorridor", "BattleFrontier_BattlePikeThreePathRoom",
        "BattleFrontier_BattlePikeRoomNormal", "BattleFrontier_BattlePikeRoomFinal",
        "BattleFrontier_BattlePikeRoomWildMons", "BattleFrontier_RankingHall", "BattleFrontier_Lounge1",
        "BattleFrontier_ExchangeServiceCorner", "BattleFrontier_Lounge2", "BattleFrontier_Lounge3",
        "BattleFrontier_Lounge4", "BattleFrontier_ScottsHouse", "BattleFrontier_Lounge5", "BattleFrontier_Lounge6",
        "BattleFrontier_Lounge7", "BattleFrontier_ReceptionGate", "BattleFrontier_Lounge8",
        "BattleFrontier_Lounge9", "BattleFrontier_PokemonCenter_1F", "BattleFrontier_PokemonCenter_2F",
        "BattleFrontier_Mart", "FarawayIsland_Entrance", "FarawayIsland_Interior", "BirthIsland_Exterior",
        "BirthIsland_Harbor", "TrainerHill_Entrance", "TrainerHill_1F", "TrainerHill_2F", "TrainerHill_3F",
        "TrainerHill_4F", "TrainerHill_Roof", "NavelRock_Exterior", "NavelRock_Harbor", "NavelRock_Entrance",
        "NavelRock_B1F", "NavelRock_Fork", "NavelRock_Up1", "NavelRock_Up2", "NavelRock_Up3", "NavelRock_Up4",
        "NavelRock_Top", "NavelRock_Down01", "NavelRock_Down02", "NavelRock_Down03", "NavelRock_Down04",
        "NavelRock_Down05", "NavelRock_Down06", "NavelRock_Down07", "NavelRock_Down08", "NavelRock_Down09",
        "NavelRock_Down10", "NavelRock_Down11", "NavelRock_Bottom", "TrainerHill_Elevator",
    )),
    ("IndoorRoute104Prototype", ("Route104_Prototype", "Route104_PrototypePrettyPetalFlowerShop")),
    ("IndoorRoute109", ("Route109_SeashoreHouse",)),
    ("IndoorRoute110", (
        "Route110_TrickHouseEntrance", "Route110_TrickHouseEnd", "Route110_TrickHouseCorridor",
        "Route110_TrickHousePuzzle1", "Route110_TrickHousePuzzle2", "Route110_TrickHousePuzzle3",
        "Route110_TrickHousePuzzle4", "Route110_TrickHousePuzzle5", "Route110_TrickHousePuzzle6",
        "Route110_TrickHousePuzzle7", "Route110_TrickHousePuzzle8", "Route110_SeasideCyclingRoadNorthEntrance",
        "Route110_SeasideCyclingRoadSouthEntrance",
    )),
    ("IndoorRoute113", ("Route113_GlassWorkshop",)),
    ("IndoorRoute123", ("Route123_BerryMastersHouse",)),
    ("IndoorRoute119", ("Route119_WeatherInstitute_1F", "Route119_WeatherInstitute_2F", "Route119_House")),
    ("IndoorRoute124", ("Route124_DivingTreasureHuntersHouse",)),
)

MAP_IDS: dict[str, tuple[int, int]] = {
    name: (group, number) for group, (_, maps) in enumerate(MAP_GROUPS) for number, name in enumerate(maps)
}


def map_name(group: int, number: int) -> str | None:
    """The map_groups.json name of map (group, number), or None for ids outside the retail table."""
    if 0 <= group < len(MAP_GROUPS) and 0 <= number < len(MAP_GROUPS[group][1]):
        return MAP_GROUPS[group][1][number]
    return None


# Possessives lost their apostrophe in the map names; a few words are abbreviations.
_WORD_FIXES: dict[str, str] = {
    "Brendans": "Brendan's", "Mays": "May's", "Birchs": "Birch's", "Wallys": "Wally's", "Sterns": "Stern's",
    "Cutters": "Cutter's", "Brineys": "Briney's", "Stevens": "Steven's", "Cozmos": "Cozmo's",
    "Relearners": "Relearner's", "Wandas": "Wanda's", "Raters": "Rater's", "Lanettes": "Lanette's",
    "Maniacs": "Maniac's", "Tunnelers": "Tunneler's", "Familys": "Family's", "Ladys": "Lady's",
    "Masters": "Master's", "Hunters": "Hunter's", "Deleters": "Deleter's", "Scotts": "Scott's",
    "Sidneys": "Sidney's", "Phoebes": "Phoebe's", "Glacias": "Glacia's", "Drakes": "Drake's",
    "Champions": "Champion's", "Captains": "Captain's", "Pokemon": "Pokémon", "Mt": "Mt.", "Mr": "Mr.",
    "SS": "S.S.",
}
_LEVEL = re.compile(r"B?\d+[FR]")  # 1F, B2F, 1R: floor / room labels stay as they are
_CAMEL = re.compile(r"[A-Z]{2,}(?=[A-Z][a-z]|\d|$)|[A-Z][a-z]+|[a-z]+|\d+")


def map_display_name(name: str) -> str:
    """'LittlerootTown_ProfessorBirchsLab' -> "Littleroot Town Professor Birch's Lab", 'Route101' -> 'Route 101'."""
    words: list[str] = []
    for part in name.split("_"):
        tokens = [part] if _LEVEL.fullmatch(part) else _CAMEL.findall(part)
        words.extend(_WORD_FIXES.get(token, token) for token in tokens)
    return " ".join(words)


# --------------------------------------------------------------------------------------------------
# Species: internal index -> in-game name (uppercase, as the game prints it).
# --------------------------------------------------------------------------------------------------

SPECIES_NAMES_KANTO_JOHTO: tuple[str, ...] = (  # 1-251
    "BULBASAUR", "IVYSAUR", "VENUSAUR", "CHARMANDER", "CHARMELEON", "CHARIZARD", "SQUIRTLE", "WARTORTLE",
    "BLASTOISE", "CATERPIE", "METAPOD", "BUTTERFREE", "WEEDLE", "KAKUNA", "BEEDRILL", "PIDGEY", "PIDGEOTTO",
    "PIDGEOT", "RATTATA", "RATICATE", "SPEAROW", "FEAROW", "EKANS", "ARBOK", "PIKACHU", "RAICHU", "SANDSHREW",
    "SANDSLASH", "NIDORAN♀", "NIDORINA", "NIDOQUEEN", "NIDORAN♂", "NIDORINO", "NIDOKING", "CLEFAIRY",
    "CLEFABLE", "VULPIX", "NINETALES", "JIGGLYPUFF", "WIGGLYTUFF", "ZUBAT", "GOLBAT", "ODDISH", "GLOOM",
    "VILEPLUME", "PARAS", "PARASECT", "VENONAT", "VENOMOTH", "DIGLETT", "DUGTRIO", "MEOWTH", "PERSIAN",
    "PSYDUCK", "GOLDUCK", "MANKEY", "PRIMEAPE", "GROWLITHE", "ARCANINE", "POLIWAG", "POLIWHIRL", "POLIWRATH",
    "ABRA", "KADABRA", "ALAKAZAM", "MACHOP", "MACHOKE", "MACHAMP", "BELLSPROUT", "WEEPINBELL", "VICTREEBEL",
    "TENTACOOL", "TENTACRUEL", "GEODUDE", "GRAVELER", "GOLEM", "PONYTA", "RAPIDASH", "SLOWPOKE", "SLOWBRO",
    "MAGNEMITE", "MAGNETON", "FARFETCH'D", "DODUO", "DODRIO", "SEEL", "DEWGONG", "GRIMER", "MUK", "SHELLDER",
    "CLOYSTER", "GASTLY", "HAUNTER", "GENGAR", "ONIX", "DROWZEE", "HYPNO", "KRABBY", "KINGLER", "VOLTORB",
    "ELECTRODE", "EXEGGCUTE", "EXEGGUTOR", "CUBONE", "MAROWAK", "HITMONLEE", "HITMONCHAN", "LICKITUNG",
    "KOFFING", "WEEZING", "RHYHORN", "RHYDON", "CHANSEY", "TANGELA", "KANGASKHAN", "HORSEA", "SEADRA",
    "GOLDEEN", "SEAKING", "STARYU", "STARMIE", "MR. MIME", "SCYTHER", "JYNX", "ELECTABUZZ", "MAGMAR", "PINSIR",
    "TAUROS", "MAGIKARP", "GYARADOS", "LAPRAS", "DITTO", "EEVEE", "VAPOREON", "JOLTEON", "FLAREON", "PORYGON",
    "OMANYTE", "OMASTAR", "KABUTO", "KABUTOPS", "AERODACTYL", "SNORLAX", "ARTICUNO", "ZAPDOS", "MOLTRES",
    "DRATINI", "DRAGONAIR", "DRAGONITE", "MEWTWO", "MEW", "CHIKORITA", "BAYLEEF", "MEGANIUM", "CYNDAQUIL",
    "QUILAVA", "TYPHLOSION", "TOTODILE", "CROCONAW", "FERALIGATR", "SENTRET", "FURRET", "HOOTHOOT", "NOCTOWL",
    "LEDYBA", "LEDIAN", "SPINARAK", "ARIADOS", "CROBAT", "CHINCHOU", "LANTURN", "PICHU", "CLEFFA", "IGGLYBUFF",
    "TOGEPI", "TOGETIC", "NATU", "XATU", "MAREEP", "FLAAFFY", "AMPHAROS", "BELLOSSOM", "MARILL", "AZUMARILL",
    "SUDOWOODO", "POLITOED", "HOPPIP", "SKIPLOOM", "JUMPLUFF", "AIPOM", "SUNKERN", "SUNFLORA", "YANMA",
    "WOOPER", "QUAGSIRE", "ESPEON", "UMBREON", "MURKROW", "SLOWKING", "MISDREAVUS", "UNOWN", "WOBBUFFET",
    "GIRAFARIG", "PINECO", "FORRETRESS", "DUNSPARCE", "GLIGAR", "STEELIX", "SNUBBULL", "GRANBULL", "QWILFISH",
    "SCIZOR", "SHUCKLE", "HERACROSS", "SNEASEL", "TEDDIURSA", "URSARING", "SLUGMA", "MAGCARGO", "SWINUB",
    "PILOSWINE", "CORSOLA", "REMORAID", "OCTILLERY", "DELIBIRD", "MANTINE", "SKARMORY", "HOUNDOUR", "HOUNDOOM",
    "KINGDRA", "PHANPY", "DONPHAN", "PORYGON2", "STANTLER", "SMEARGLE", "TYROGUE", "HITMONTOP", "SMOOCHUM",
    "ELEKID", "MAGBY", "MILTANK", "BLISSEY", "RAIKOU", "ENTEI", "SUICUNE", "LARVITAR", "PUPITAR", "TYRANITAR",
    "LUGIA", "HO-OH", "CELEBI"
)
SPECIES_NAMES_HOENN: tuple[str, ...] = (  # 277-411, in the game's internal order (not the Hoenn Dex order)
    "TREECKO", "GROVYLE", "SCEPTILE", "TORCHIC", "COMBUSKEN", "BLAZIKEN", "MUDKIP", "MARSHTOMP", "SWAMPERT",
    "POOCHYENA", "MIGHTYENA", "ZIGZAGOON", "LINOONE", "WURMPLE", "SILCOON", "BEAUTIFLY", "CASCOON", "DUSTOX",
    "LOTAD", "LOMBRE", "LUDICOLO", "SEEDOT", "NUZLEAF", "SHIFTRY", "NINCADA", "NINJASK", "SHEDINJA", "TAILLOW",
    "SWELLOW", "SHROOMISH", "BRELOOM", "SPINDA", "WINGULL", "PELIPPER", "SURSKIT", "MASQUERAIN", "WAILMER",
    "WAILORD", "SKITTY", "DELCATTY", "KECLEON", "BALTOY", "CLAYDOL", "NOSEPASS", "TORKOAL", "SABLEYE",
    "BARBOACH", "WHISCASH", "LUVDISC", "CORPHISH", "CRAWDAUNT", "FEEBAS", "MILOTIC", "CARVANHA", "SHARPEDO",
    "TRAPINCH", "VIBRAVA", "FLYGON", "MAKUHITA", "HARIYAMA", "ELECTRIKE", "MANECTRIC", "NUMEL", "CAMERUPT",
    "SPHEAL", "SEALEO", "WALREIN", "CACNEA", "CACTURNE", "SNORUNT", "GLALIE", "LUNATONE", "SOLROCK", "AZURILL",
    "SPOINK", "GRUMPIG", "PLUSLE", "MINUN", "MAWILE", "MEDITITE", "MEDICHAM", "SWABLU", "ALTARIA", "WYNAUT",
    "DUSKULL", "DUSCLOPS", "ROSELIA", "SLAKOTH", "VIGOROTH", "SLAKING", "GULPIN", "SWALOT", "TROPIUS",
    "WHISMUR", "LOUDRED", "EXPLOUD", "CLAMPERL", "HUNTAIL", "GOREBYSS", "ABSOL", "SHUPPET", "BANETTE",
    "SEVIPER", "ZANGOOSE", "RELICANTH", "ARON", "LAIRON", "AGGRON", "CASTFORM", "VOLBEAT", "ILLUMISE", "LILEEP",
    "CRADILY", "ANORITH", "ARMALDO", "RALTS", "KIRLIA", "GARDEVOIR", "BAGON", "SHELGON", "SALAMENCE", "BELDUM",
    "METANG", "METAGROSS", "REGIROCK", "REGICE", "REGISTEEL", "KYOGRE", "GROUDON", "RAYQUAZA", "LATIAS",
    "LATIOS", "JIRACHI", "DEOXYS", "CHIMECHO"
)
HOENN_FIRST = 277
UNUSED_SPECIES = range(252, HOENN_FIRST)  # SPECIES_OLD_UNOWN_B..Z: named "?" in the game
SPECIES_EGG = 412


def species_name(index: int) -> str:
    if 1 <= index <= len(SPECIES_NAMES_KANTO_JOHTO):
        return SPECIES_NAMES_KANTO_JOHTO[index - 1]
    if index in UNUSED_SPECIES:
        return "?"
    if HOENN_FIRST <= index < HOENN_FIRST + len(SPECIES_NAMES_HOENN):
        return SPECIES_NAMES_HOENN[index - HOENN_FIRST]
    if index == SPECIES_EGG:
        return "EGG"
    return f"SPECIES_{index}"


# --------------------------------------------------------------------------------------------------
# Text (charmap.txt): byte -> glyph for the English font; control bytes below.
# --------------------------------------------------------------------------------------------------

CHARMAP: dict[int, str] = {
    0x00: " ", 0x01: "À", 0x02: "Á", 0x03: "Â", 0x04: "Ç", 0x05: "È", 0x06: "É", 0x07: "Ê", 0x08: "Ë",
    0x09: "Ì", 0x0B: "Î", 0x0C: "Ï", 0x0D: "Ò", 0x0E: "Ó", 0x0F: "Ô", 0x10: "Œ", 0x11: "Ù", 0x12: "Ú",
    0x13: "Û", 0x14: "Ñ", 0x15: "ß", 0x16: "à", 0x17: "á", 0x19: "ç", 0x1A: "è", 0x1B: "é", 0x1C: "ê",
    0x1D: "ë", 0x1E: "ì", 0x20: "î", 0x21: "ï", 0x22: "ò", 0x23: "ó", 0x24: "ô", 0x25: "œ", 0x26: "ù",
    0x27: "ú", 0x28: "û", 0x29: "ñ", 0x2A: "º", 0x2B: "ª", 0x2C: "er", 0x2D: "&", 0x2E: "+", 0x34: "Lv",
    0x35: "=", 0x36: ";", 0x51: "¿", 0x52: "¡", 0x53: "PK", 0x54: "MN", 0x55: "PO", 0x56: "Ké", 0x57: "BL",
    0x58: "OC", 0x59: "K", 0x5A: "Í", 0x5B: "%", 0x5C: "(", 0x5D: ")", 0x68: "â", 0x6F: "í", 0x79: "↑",
    0x7A: "↓", 0x7B: "←", 0x7C: "→", 0x84: "e", 0x85: "<", 0x86: ">", 0xA0: "re", 0xAB: "!", 0xAC: "?",
    0xAD: ".", 0xAE: "-", 0xAF: "·", 0xB0: "…", 0xB1: "“", 0xB2: "”", 0xB3: "‘", 0xB4: "'", 0xB5: "♂",
    0xB6: "♀", 0xB7: "¥", 0xB8: ",", 0xB9: "×", 0xBA: "/", 0xEF: "▶", 0xF0: ":", 0xF1: "Ä", 0xF2: "Ö",
    0xF3: "Ü", 0xF4: "ä", 0xF5: "ö", 0xF6: "ü",
    **{0xA1 + i: str(i) for i in range(10)},
    **{0xBB + i: chr(ord("A") + i) for i in range(26)},
    **{0xD5 + i: chr(ord("a") + i) for i in range(26)},
}
CHAR_KEYPAD_ICON = 0xF8  # + 1 byte: a button icon
CHAR_EXTRA_SYMBOL = 0xF9  # + 1 byte: an emoji-like symbol
CHAR_PROMPT_SCROLL = 0xFA  # '\l': scroll the box up one line
CHAR_PROMPT_CLEAR = 0xFB  # '\p': wait for a button, then start a new page
EXT_CTRL_CODE_BEGIN = 0xFC  # + code + args (GetExtCtrlCodeLength)
PLACEHOLDER_BEGIN = 0xFD  # + 1 byte: {PLAYER}, {STR_VAR_1}, ... (already expanded in the buffers read here)
CHAR_NEWLINE = 0xFE  # '\n'
EOS = 0xFF  # '$': end of string
# src/string_util.c GetExtCtrlCodeLength: bytes taken by each 0xFC code, the code byte included.
EXT_CTRL_CODE_LENGTHS: tuple[int, ...] = (1, 2, 2, 2, 4, 2, 2, 1, 2, 1, 1, 3, 2, 2, 2, 1, 3, 2, 2, 2, 2, 1, 1, 1, 1)


def _fix_accents(text: str) -> str:
    """'é' -> 'E' after a capital (POKéMON -> POKEMON), else 'e': names and dialog stay ASCII-friendly."""
    return "".join(("E" if i and text[i - 1].isupper() else "e") if ch == "é" else ch for i, ch in enumerate(text))


def decode_text(raw: bytes) -> str:
    """A string as the game stores it -> text: stops at EOS; '\\n' and '\\l' become newlines, '\\p' a blank line;
    text commands (colors, pauses, sounds) are skipped."""
    out: list[str] = []
    i = 0
    while i < len(raw):
        b = raw[i]
        if b == EOS:
            break
        if b in (CHAR_NEWLINE, CHAR_PROMPT_SCROLL):
            out.append("\n")
        elif b == CHAR_PROMPT_CLEAR:
            out.append("\n\n")
        elif b == EXT_CTRL_CODE_BEGIN:
            code = raw[i + 1] if i + 1 < len(raw) else 0
            i += 1 + (EXT_CTRL_CODE_LENGTHS[code] if code < len(EXT_CTRL_CODE_LENGTHS) else 1)
            continue
        elif b in (PLACEHOLDER_BEGIN, CHAR_EXTRA_SYMBOL, CHAR_KEYPAD_ICON):
            i += 2
            continue
        else:
            out.append(CHARMAP.get(b, ""))
        i += 1
    return _fix_accents("".join(out))


# --------------------------------------------------------------------------------------------------
# Metatile behaviors (include/constants/metatile_behaviors.h) -> text map classes.
# --------------------------------------------------------------------------------------------------

MB_TALL_GRASS, MB_LONG_GRASS = 0x02, 0x03
GRASS_BEHAVIORS: frozenset[int] = frozenset([MB_TALL_GRASS, MB_LONG_GRASS])
# MB_POND_WATER .. MB_OCEAN_WATER: surfable water (MB_PUDDLE 0x16 and MB_SHALLOW_WATER 0x17 are walked on)
WATER_BEHAVIORS: frozenset[int] = frozenset(range(0x10, 0x16))
LEDGE_BEHAVIORS: frozenset[int] = frozenset(range(0x38, 0x3C))  # MB_JUMP_EAST, _WEST, _NORTH, _SOUTH
WARP_BEHAVIORS: frozenset[int] = frozenset([
    0x60,  # MB_NON_ANIMATED_DOOR
    0x61,  # MB_LADDER
    0x62, 0x63, 0x64, 0x65,  # MB_EAST/WEST/NORTH/SOUTH_ARROW_WARP (mats at a room's exit)
    0x69,  # MB_ANIMATED_DOOR
    0x6A, 0x6B,  # MB_UP_ESCALATOR, MB_DOWN_ESCALATOR
    0x6E,  # MB_DEEP_SOUTH_WARP
])
INTERACTABLE_BEHAVIORS: frozenset[int] = frozenset([
    0x83,  # MB_PC
    0x85,  # MB_REGION_MAP
    0x86,  # MB_TELEVISION
    0xE0, 0xE1, 0xE2,  # MB_PICTURE_BOOK_SHELF, MB_BOOKSHELF, MB_POKEMON_CENTER_BOOKSHELF
    0xE3, 0xE4, 0xE5, 0xE6,  # MB_VASE, MB_TRASH_CAN, MB_SHOP_SHELF, MB_BLUEPRINT
])
# include/constants/event_objects.h: picture ids of things rather than people.
ITEM_BALL_GFX = 59  # OBJ_EVENT_GFX_ITEM_BALL
BERRY_TREE_GFX: frozenset[int] = frozenset([60, 61])  # OBJ_EVENT_GFX_BERRY_TREE, _EARLY_STAGES
# include/constants/event_bg.h: BG_EVENT_PLAYER_FACING_* are signs; 7 hidden items and 8 secret bases are not.
BG_EVENT_SIGN_KINDS: frozenset[int] = frozenset(range(0, 5))

# --------------------------------------------------------------------------------------------------
# Flags (include/constants/flags.h) and vars (include/constants/vars.h).
# --------------------------------------------------------------------------------------------------

FLAG_SET_WALL_CLOCK = 0x51  # LittlerootTown_*House_2F: the wall clock is set
FLAG_DEFEATED_RIVAL_ROUTE103 = 0x82  # Route103 scripts.inc: Route103_EventScript_RivalEnd
FLAG_RECOVERED_DEVON_GOODS = 0x8F  # RusturfTunnel: the Aqua grunt hands the goods back
FLAG_DELIVERED_DEVON_GOODS = 0x95  # SlateportCity_OceanicMuseum_2F: Capt. Stern gets the goods
FLAG_DELIVERED_STEVEN_LETTER = 0xBD  # GraniteCave_StevensRoom
SYSTEM_FLAGS = 0x860
FLAG_SYS_POKEMON_GET = SYSTEM_FLAGS + 0x0
FLAG_SYS_POKEDEX_GET = SYSTEM_FLAGS + 0x1  # LittlerootTown_ProfessorBirchsLab, after the Route 103 battle
FLAG_SYS_POKENAV_GET = SYSTEM_FLAGS + 0x2  # RustboroCity_DevonCorp_3F: Mr. Stone's PokéNav (with the letter)
FLAG_BADGE01_GET = SYSTEM_FLAGS + 0x7  # .. FLAG_BADGE08_GET = 0x86E
FLAG_VISITED_LITTLEROOT_TOWN = SYSTEM_FLAGS + 0xF
FLAG_VISITED_OLDALE_TOWN = SYSTEM_FLAGS + 0x10
FLAG_VISITED_DEWFORD_TOWN = SYSTEM_FLAGS + 0x11
FLAG_VISITED_PETALBURG_CITY = SYSTEM_FLAGS + 0x16
FLAG_VISITED_SLATEPORT_CITY = SYSTEM_FLAGS + 0x17
FLAG_VISITED_MAUVILLE_CITY = SYSTEM_FLAGS + 0x18
FLAG_VISITED_RUSTBORO_CITY = SYSTEM_FLAGS + 0x19
NUM_FLAG_BYTES = 300  # SaveBlock1.flags[300]

VARS_START = 0x4000
VAR_PETALBURG_GYM_STATE = 0x4085  # 1: Norman sent you off with Wally; 2: back from the tutorial (0-1 tutorial)
VAR_PETALBURG_WOODS_STATE = 0x4098  # 1: the Aqua grunt beaten and the Devon researcher gone
VARS_READ = 0x100  # SaveBlock1.vars[VARS_COUNT = 256]

BADGE_NAMES: tuple[str, ...] = ("Stone", "Knuckle", "Dynamo", "Heat", "Balance", "Feather", "Mind", "Rain")

# --------------------------------------------------------------------------------------------------
# Milestones: 31 from Littleroot Town to the Dynamo Badge, in story order.
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Milestone:
    """Holds now when the player stands on one of `maps` (with a party if `needs_party`), or `flag` is set,
    or var `var` is at least `var_min`, or (starter) the party is not empty."""

    name: str
    maps: tuple[str, ...] = ()
    flag: int | None = None
    var: int | None = None
    var_min: int = 1
    needs_party: bool = False
    party: bool = False


MILESTONE_DEFS: tuple[Milestone, ...] = (
    Milestone("littleroot_town", maps=("LittlerootTown",), flag=FLAG_VISITED_LITTLEROOT_TOWN),
    Milestone("clock_set", flag=FLAG_SET_WALL_CLOCK),  # in the bedroom, before Mom lets you out
    Milestone("route_101", maps=("Route101",)),
    Milestone("starter_chosen", flag=FLAG_SYS_POKEMON_GET, party=True),
    Milestone("birch_lab", maps=("LittlerootTown_ProfessorBirchsLab",), needs_party=True),
    Milestone("oldale_town", maps=("OldaleTown",), flag=FLAG_VISITED_OLDALE_TOWN),
    Milestone("route_103", maps=("Route103",)),
    Milestone("rival_battle_route_103", flag=FLAG_DEFEATED_RIVAL_ROUTE103),  # the first trainer battle
    Milestone("pokedex_received", flag=FLAG_SYS_POKEDEX_GET),
    Milestone("route_102", maps=("Route102",)),
    Milestone("petalburg_city", maps=("PetalburgCity",), flag=FLAG_VISITED_PETALBURG_CITY),
    Milestone("met_dad", maps=("PetalburgCity_Gym",), var=VAR_PETALBURG_GYM_STATE, var_min=1),
    Milestone("wally_tutorial_done", var=VAR_PETALBURG_GYM_STATE, var_min=2),
    Milestone("route_104", maps=("Route104",)),
    Milestone("petalburg_woods", maps=("PetalburgWoods",)),
    Milestone("aqua_grunt_woods_defeated", var=VAR_PETALBURG_WOODS_STATE, var_min=1),
    Milestone("rustboro_city", maps=("RustboroCity",), flag=FLAG_VISITED_RUSTBORO_CITY),
    Milestone("rustboro_gym", maps=("RustboroCity_Gym",), flag=FLAG_BADGE01_GET),
    Milestone("stone_badge", flag=FLAG_BADGE01_GET),
    Milestone("devon_goods_recovered", flag=FLAG_RECOVERED_DEVON_GOODS),  # Route 116 -> Rusturf Tunnel
    Milestone("pokenav_received", flag=FLAG_SYS_POKENAV_GET),  # Devon Corp 3F: Mr. Stone's letter and PokéNav
    Milestone("dewford_town", maps=("DewfordTown",), flag=FLAG_VISITED_DEWFORD_TOWN),  # Mr. Briney's boat
    Milestone("dewford_gym", maps=("DewfordTown_Gym",), flag=FLAG_BADGE01_GET + 1),
    Milestone("knuckle_badge", flag=FLAG_BADGE01_GET + 1),
    Milestone("steven_letter_delivered", flag=FLAG_DELIVERED_STEVEN_LETTER),  # Granite Cave
    Milestone("slateport_city", maps=("SlateportCity",), flag=FLAG_VISITED_SLATEPORT_CITY),
    Milestone("devon_goods_delivered", flag=FLAG_DELIVERED_DEVON_GOODS),  # Oceanic Museum 2F
    Milestone("route_110", maps=("Route110",)),
    Milestone("mauville_city", maps=("MauvilleCity",), flag=FLAG_VISITED_MAUVILLE_CITY),
    Milestone("mauville_gym", maps=("MauvilleCity_Gym",), flag=FLAG_BADGE01_GET + 2),
    Milestone("dynamo_badge", flag=FLAG_BADGE01_GET + 2),
)
