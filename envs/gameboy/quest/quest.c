/* QUEST: a small Game Boy adventure (house, town, route, cave) in the spirit of Pokemon.
 *
 * Built with SDCC (-msm83) and our own crt0.s; data (tiles, maps, warps, objects) comes from
 * assets.py through the generated build/assets.{c,h}.
 *
 * Input contract: the game acts on the press edge only (no auto-repeat) and finishes every
 * press within one frame of logic (a few frames of VRAM copying at most), because the
 * runtime presses a button for 8 frames and releases it for 16.
 *
 * Frame structure: wait for VBlank -> copy pending shadow state (sprite, queued BG tiles,
 * window rows) to VRAM -> read the joypad -> run the logic for the current mode, which only
 * writes shadows. Whole-map redraws happen with the LCD off (on warps).
 *
 * Globals named g_* are read by the Python adapter through the linker's symbol output.
 */
#include <stdint.h>
#include "assets.h"

typedef uint8_t u8;
typedef uint16_t u16;

#define IO(a) (*(volatile u8 *)(a))
#define rP1 IO(0xFF00)
#define rIF IO(0xFF0F)
#define rLCDC IO(0xFF40)
#define rSCY IO(0xFF42)
#define rSCX IO(0xFF43)
#define rLY IO(0xFF44)
#define rBGP IO(0xFF47)
#define rOBP0 IO(0xFF48)
#define rWY IO(0xFF4A)
#define rWX IO(0xFF4B)
#define rIE IO(0xFFFF)

#define VRAM_TILES ((u8 *)0x8000)
#define BG_MAP ((u8 *)0x9800)
#define WIN_MAP ((u8 *)0x9C00)
#define OAM ((u8 *)0xFE00)

/* LCD on, window map at 9C00, tiles at 8000, BG map 9800, 8x8 sprites on, BG on. */
#define LCDC_BASE 0xD3
#define LCDC_WIN 0x20
#define WY_HIDDEN 144
#define DIALOG_ROWS 5
#define MENU_ROWS 6

#define BTN_A 0x01
#define BTN_B 0x02
#define BTN_SELECT 0x04
#define BTN_START 0x08
#define BTN_RIGHT 0x10
#define BTN_LEFT 0x20
#define BTN_UP 0x40
#define BTN_DOWN 0x80

#define BGQ_MAX 24

enum { ACT_NONE, ACT_FLAG, ACT_MOM, ACT_TAKE, ACT_GATE, ACT_BATTLE };
enum { BS_MSG, BS_MENU };
enum { BN_MENU, BN_BOSS_TURN, BN_WIN, BN_LOSE };

typedef struct {
    u8 x, y, tile, kind, arg, def;
} obj_t;

/* crt0.s: copies dirty rows of g_win into the window map while VBlank lasts (C is too slow to
 * even scan the rows in time), and updates g_dirty_lo/g_dirty_hi. */
void flush_rows(void);

/* ---- state (all zeroed by crt0) ---------------------------------------------------------- */
volatile u8 vbl_flag;
u8 g_mode;
u8 g_map;
u8 g_px, g_py, g_facing;
u8 g_flags[2];
u8 g_items[NUM_ITEMS];
u8 g_hp, g_maxhp;
u8 g_keys, g_prev, g_pressed;
const char *g_dlg_next; /* next page of the open dialog, 0 on the last page */
u8 g_dlg_action, g_dlg_arg;
u8 g_menu_cursor, g_menu_count;
u8 g_menu_list[NUM_ITEMS];
u8 g_boss_hp, g_bstate, g_bnext, g_bcursor;
u8 g_obj_count;
obj_t g_objs[MAX_OBJS];
u8 g_map_buf[MAP_W * MAP_H];
u8 g_win[WIN_ROWS * 20];
u8 g_win_dirty[WIN_ROWS];
/* Dirty rows lie within g_dirty_lo..g_dirty_hi (lo > hi: none). vram_flush() scans only that
 * range: scanning all 18 rows in SDCC code costs ~800 cycles, most of a VBlank. */
u8 g_dirty_lo, g_dirty_hi;
u8 g_win_wy; /* WY to apply once every dirty row is in VRAM; WY_HIDDEN hides the window */
u8 g_bgq_n;
u8 *g_bgq_addr[BGQ_MAX];
u8 g_bgq_tile[BGQ_MAX];
u8 g_oam[4];
u16 g_frame;
u8 g_overruns; /* VBlank work that ran past VBlank (should stay 0) */
u16 g_moves;

/* ---- text --------------------------------------------------------------------------------
 * '\n' breaks a line (3 lines of 18 characters per page), '\f' starts a new page (needs A). */
static const char txt_mom_1[] =
    "MOM: GOOD MORNING!\n"
    "THE ELDER WANTS TO\n"
    "SEE YOU IN TOWN.\f"
    "TAKE THIS POTION\n"
    "FOR THE ROAD.\f"
    "YOU GOT A POTION!";
static const char txt_mom_2[] = "MOM: BE CAREFUL\nOUT THERE, DEAR!";
static const char txt_mom_3[] = "MOM: MY HERO!\nI'M SO PROUD!";
static const char txt_elder_1[] =
    "ELDER: AH, THERE\n"
    "YOU ARE!\f"
    "A MONSTER STOLE\n"
    "THE SUN ORB. IT\n"
    "HIDES IN THE CAVE.\f"
    "ROUTE 1 HAS A GATE\n"
    "ITS KEY LIES IN\n"
    "THE TALL GRASS.\f"
    "I TOLD THE GUARD\n"
    "TO LET YOU PASS.\n"
    "GOOD LUCK!";
static const char txt_elder_2[] = "ELDER: THE KEY IS\nIN THE TALL GRASS\nWEST ON ROUTE 1.";
static const char txt_elder_3[] = "ELDER: THE ORB!\nTHANK YOU, HERO!";
static const char txt_guard_1[] = "GUARD: ROUTE 1 IS\nDANGEROUS. SEE THE\nELDER FIRST.";
static const char txt_guard_2[] = "GUARD: THE ELDER\nSAYS YOU MAY PASS.";
static const char txt_hiker[] =
    "HIKER: THE CAVE\n"
    "KING HITS HARD.\f"
    "KEEP A POTION AND\n"
    "USE IT IN THE\n"
    "FIGHT IF YOU MUST.";
static const char txt_sign_town[] = "QUEST TOWN\nHOME OF THE BRAVE.";
static const char txt_sign_route[] = "NORTH: DARK CAVE\nSOUTH: QUEST TOWN";
static const char txt_sign_cave[] = "BEWARE! THE CAVE\nKING LIVES HERE.";
static const char txt_found_potion[] = "YOU FOUND\nA POTION!";
static const char txt_found_key[] = "YOU FOUND A KEY!\nIT LOOKS OLD.";
static const char txt_found_orb[] =
    "YOU FOUND THE\n"
    "SUN ORB!\f"
    "LIGHT RETURNS TO\n"
    "THE LAND.\f"
    "THE END. THANKS\n"
    "FOR PLAYING!";
static const char txt_gate_locked[] = "THE GATE IS LOCKED";
static const char txt_gate_open[] = "YOU USED THE KEY.\nTHE GATE OPENED!";
static const char txt_boss[] =
    "CAVE KING: WHO\n"
    "DARES TO ENTER\n"
    "MY CAVE?\f"
    "THE ORB IS MINE!\n"
    "FIGHT ME!";
static const char txt_use_potion[] = "YOU USED A POTION.\nYOU FEEL BETTER!";
static const char txt_hp_full[] = "YOUR HP IS FULL.";
static const char txt_desc_key[] = "AN OLD RUSTY KEY.\nIT OPENS A GATE.";
static const char txt_desc_orb[] = "THE SUN ORB GLOWS\nWARMLY.";

static const char *const sign_texts[NUM_SIGNS] = {txt_sign_town, txt_sign_route, txt_sign_cave};
static const char *const found_texts[NUM_ITEMS] = {txt_found_potion, txt_found_key, txt_found_orb};
static const char *const item_names[NUM_ITEMS] = {"POTION", "KEY", "SUN ORB"};
static const u8 player_tiles[4] = {T_PLAYER_DOWN, T_PLAYER_UP, T_PLAYER_LEFT, T_PLAYER_LEFT};

/* ---- flags --------------------------------------------------------------------------------- */
static u8 flag(u8 f) { return g_flags[f >> 3] & (u8)(1 << (f & 7)); }

static void refresh_objects(void);

static void set_flag(u8 f) {
    g_flags[f >> 3] |= (u8)(1 << (f & 7));
    refresh_objects();
}

/* ---- VRAM ---------------------------------------------------------------------------------- */
/* Always waits for the *next* VBlank to start: a flag left from a frame the game logic overran
 * would return mid-frame, where every VRAM write of vram_flush() is lost. */
static void wait_vblank(void) {
    vbl_flag = 0;
    while (!vbl_flag) {
        __asm__("halt");
    }
}

static void lcd_off(void) {
    if (!(rLCDC & 0x80)) return;
    while (rLY < 144) {
    } /* the LCD may only be switched off during VBlank */
    rLCDC = 0;
}

static void lcd_on(u8 lcdc) {
    rLCDC = lcdc;
    vbl_flag = 0; /* a flag raised before the LCD went off is stale */
}

/* VRAM is writable only in VBlank (LY 144..153); a write outside it is lost. Start a piece of work
 * only while enough VBlank is left (LY < VBLANK_LAST), and leave the rest queued for the next frame. */
#define VBLANK_LAST 150
#define IN_VBLANK() (rLY >= 144 && rLY < VBLANK_LAST)

/* Runs at the start of VBlank: everything here must fit in ~1100 cycles. */
static void vram_flush(void) {
    u8 i, j;
    OAM[0] = g_oam[0];
    OAM[1] = g_oam[1];
    OAM[2] = g_oam[2];
    OAM[3] = g_oam[3];
    for (i = 0; i < g_bgq_n && IN_VBLANK(); i++) *g_bgq_addr[i] = g_bgq_tile[i];
    for (j = 0; i < g_bgq_n; i++, j++) { /* keep what did not fit */
        g_bgq_addr[j] = g_bgq_addr[i];
        g_bgq_tile[j] = g_bgq_tile[i];
    }
    g_bgq_n = j;
    flush_rows();
    if (g_dirty_lo > g_dirty_hi && g_bgq_n == 0) { /* everything is in VRAM: now the window may show */
        if (g_win_wy >= WY_HIDDEN) {
            rLCDC = LCDC_BASE;
        } else {
            rWY = g_win_wy;
            rLCDC = LCDC_BASE | LCDC_WIN;
        }
    }
    if (rLY < 144) g_overruns++;
}

static void bg_poke(u8 x, u8 y, u8 tile) {
    if (g_bgq_n == BGQ_MAX) return;
    g_bgq_addr[g_bgq_n] = BG_MAP + ((u16)y << 5) + x;
    g_bgq_tile[g_bgq_n] = tile;
    g_bgq_n++;
}

static u8 key_bits(void) {
    u8 d, b;
    rP1 = 0x20; /* select the d-pad */
    d = rP1;
    d = rP1;
    rP1 = 0x10; /* select the buttons */
    b = rP1;
    b = rP1;
    b = rP1;
    b = rP1;
    rP1 = 0x30;
    return (u8)((u8)((~d) & 0x0F) << 4) | (u8)((~b) & 0x0F);
}

/* ---- window shadow (dialog, menu, battle) --------------------------------------------------- */
static void mark_dirty(u8 row) {
    g_win_dirty[row] = 1;
    if (row < g_dirty_lo) g_dirty_lo = row;
    if (row > g_dirty_hi) g_dirty_hi = row;
}

static void win_box(u8 r0, u8 r1) {
    u8 r, c;
    u8 *p;
    for (r = r0; r <= r1; r++) {
        p = g_win + (u16)r * 20;
        for (c = 1; c < 19; c++) p[c] = (r == r0 || r == r1) ? T_BOX_H : ' ';
        p[0] = r == r0 ? T_BOX_TL : (r == r1 ? T_BOX_BL : T_BOX_V);
        p[19] = r == r0 ? T_BOX_TR : (r == r1 ? T_BOX_BR : T_BOX_V);
        mark_dirty(r);
    }
}

static void win_blank(u8 r0, u8 r1) {
    u8 r, c;
    for (r = r0; r <= r1; r++) {
        for (c = 0; c < 20; c++) g_win[(u16)r * 20 + c] = ' ';
        mark_dirty(r);
    }
}

static void win_put(u8 col, u8 row, u8 tile) {
    g_win[(u16)row * 20 + col] = tile;
    mark_dirty(row);
}

/* Writes text from (col, row); '\n' goes to the next row at `col`. Stops at '\0' or '\f'
 * and returns where it stopped. */
static const char *win_text(u8 col, u8 row, const char *s) {
    u8 c = col;
    while (*s && *s != '\f') {
        if (*s == '\n') {
            row++;
            c = col;
        } else if (c < 19) {
            win_put(c++, row, (u8)*s);
        }
        s++;
    }
    return s;
}

static void win_num(u8 col, u8 row, u8 v) { /* two digits, right aligned */
    win_put(col, row, v >= 10 ? (u8)('0' + v / 10) : ' ');
    win_put(col + 1, row, (u8)('0' + v % 10));
}

static void win_hp(u8 col, u8 row, u8 hp, u8 max) { /* "HP 20/20" */
    win_text(col, row, "HP");
    win_num(col + 3, row, hp);
    win_put(col + 5, row, '/');
    win_num(col + 6, row, max);
}

/* ---- map and objects ----------------------------------------------------------------------- */
static u8 *cell(u8 x, u8 y) { return g_map_buf + (u16)y * MAP_W + x; }

static obj_t *obj_at(u8 x, u8 y) {
    u8 i;
    for (i = 0; i < g_obj_count; i++) {
        if (g_objs[i].x == x && g_objs[i].y == y) return &g_objs[i];
    }
    return 0;
}

static void load_objects(void) {
    u8 i;
    const objdef_t *d;
    obj_t *o = g_objs;
    g_obj_count = 0;
    for (i = 0; i < NUM_OBJDEFS && g_obj_count < MAX_OBJS; i++) {
        d = &objdefs[i];
        if (d->map != g_map) continue;
        if (d->hide_flag != NO_FLAG && flag(d->hide_flag)) continue;
        if (d->move_flag != NO_FLAG && flag(d->move_flag)) {
            o->x = d->alt_x;
            o->y = d->alt_y;
        } else {
            o->x = d->x;
            o->y = d->y;
        }
        o->tile = d->tile;
        o->kind = d->kind;
        o->arg = d->arg;
        o->def = i;
        o++;
        g_obj_count++;
    }
}

/* After a flag change: erase the objects where they were, reload, draw them where they are. */
static void refresh_objects(void) {
    u8 i;
    for (i = 0; i < g_obj_count; i++) bg_poke(g_objs[i].x, g_objs[i].y, *cell(g_objs[i].x, g_objs[i].y));
    load_objects();
    for (i = 0; i < g_obj_count; i++) bg_poke(g_objs[i].x, g_objs[i].y, g_objs[i].tile);
}

static void update_sprite(void) {
    u8 show = g_mode != MODE_TITLE && (u8)(g_py * 8 + 8) <= g_win_wy;
    g_oam[0] = show ? (u8)(g_py * 8 + 16) : 0;
    g_oam[1] = (u8)(g_px * 8 + 8);
    g_oam[2] = player_tiles[g_facing];
    g_oam[3] = g_facing == DIR_RIGHT ? 0x20 : 0x00;
}

static void load_map(u8 id, u8 x, u8 y) {
    u8 r, c;
    const u8 *src;
    u8 *dst;
    lcd_off();
    g_map = id;
    g_px = x;
    g_py = y;
    if (map_enter_flag[id] != NO_FLAG) g_flags[map_enter_flag[id] >> 3] |= (u8)(1 << (map_enter_flag[id] & 7));
    src = map_data + (u16)id * (MAP_W * MAP_H);
    for (r = 0; r < MAP_W * MAP_H / 2; r++) { /* 360 bytes, two at a time to keep r a byte */
        g_map_buf[r * 2] = src[r * 2];
        g_map_buf[r * 2 + 1] = src[r * 2 + 1];
    }
    load_objects();
    for (r = 0; r < MAP_H; r++) {
        dst = BG_MAP + ((u16)r << 5);
        src = g_map_buf + (u16)r * MAP_W;
        for (c = 0; c < MAP_W; c++) dst[c] = src[c];
    }
    for (r = 0; r < g_obj_count; r++) BG_MAP[((u16)g_objs[r].y << 5) + g_objs[r].x] = g_objs[r].tile;
    g_bgq_n = 0;
    g_win_wy = WY_HIDDEN;
    update_sprite();
    for (r = 0; r < 4; r++) OAM[r] = g_oam[r];
    lcd_on(LCDC_BASE);
}

/* ---- dialog -------------------------------------------------------------------------------- */
static void dlg_page(const char *p) {
    win_box(0, DIALOG_ROWS - 1);
    p = win_text(1, 1, p);
    if (*p == '\f') {
        g_dlg_next = p + 1;
        win_put(18, DIALOG_ROWS - 1, T_MORE);
    } else {
        g_dlg_next = 0;
    }
}

static void dlg_open(const char *text, u8 action, u8 arg) {
    g_dlg_action = action;
    g_dlg_arg = arg;
    g_mode = MODE_DIALOG;
    dlg_page(text);
    g_win_wy = 144 - DIALOG_ROWS * 8;
}

static void battle_start(void);

static void give_item(u8 item) {
    if (g_items[item] < 99) g_items[item]++;
}

static void run_action(u8 action, u8 arg) {
    const objdef_t *d;
    switch (action) {
    case ACT_FLAG:
        set_flag(arg);
        break;
    case ACT_MOM:
        give_item(ITEM_POTION);
        set_flag(F_TALKED_TO_MOM);
        break;
    case ACT_TAKE: /* arg: objdef index of the item */
        d = &objdefs[arg];
        give_item(d->arg);
        set_flag(d->hide_flag);
        break;
    case ACT_GATE:
        set_flag(F_OPENED_GATE);
        break;
    case ACT_BATTLE:
        battle_start();
        break;
    }
}

static void dlg_input(void) {
    if (!(g_pressed & BTN_A)) return;
    if (g_dlg_next) {
        dlg_page(g_dlg_next);
        return;
    }
    g_win_wy = WY_HIDDEN;
    g_mode = MODE_WALK;
    run_action(g_dlg_action, g_dlg_arg);
}

/* ---- overworld ------------------------------------------------------------------------------ */
static void talk(u8 npc) {
    switch (npc) {
    case NPC_MOM:
        if (!flag(F_TALKED_TO_MOM)) dlg_open(txt_mom_1, ACT_MOM, 0);
        else dlg_open(flag(F_GOT_ORB) ? txt_mom_3 : txt_mom_2, ACT_NONE, 0);
        break;
    case NPC_ELDER:
        if (!flag(F_MET_ELDER)) dlg_open(txt_elder_1, ACT_FLAG, F_MET_ELDER);
        else dlg_open(flag(F_GOT_ORB) ? txt_elder_3 : txt_elder_2, ACT_NONE, 0);
        break;
    case NPC_GUARD:
        dlg_open(flag(F_MET_ELDER) ? txt_guard_2 : txt_guard_1, ACT_NONE, 0);
        break;
    default:
        dlg_open(txt_hiker, ACT_NONE, 0);
        break;
    }
}

static void interact(void) {
    u8 x = g_px, y = g_py;
    obj_t *o;
    switch (g_facing) {
    case DIR_DOWN: y++; break;
    case DIR_UP: y--; break;
    case DIR_LEFT: x--; break;
    default: x++; break;
    }
    o = obj_at(x, y);
    if (!o) return;
    switch (o->kind) {
    case OBJ_NPC:
        talk(o->arg);
        break;
    case OBJ_SIGN:
        dlg_open(sign_texts[o->arg], ACT_NONE, 0);
        break;
    case OBJ_ITEM:
        dlg_open(found_texts[o->arg], ACT_TAKE, o->def);
        break;
    case OBJ_GATE:
        if (g_items[ITEM_KEY]) dlg_open(txt_gate_open, ACT_GATE, 0);
        else dlg_open(txt_gate_locked, ACT_NONE, 0);
        break;
    case OBJ_BOSS:
        dlg_open(txt_boss, ACT_BATTLE, 0);
        break;
    }
}

static void try_move(u8 dir) {
    u8 x = g_px, y = g_py, i;
    g_facing = dir;
    switch (dir) {
    case DIR_DOWN:
        if (y == MAP_H - 1) return;
        y++;
        break;
    case DIR_UP:
        if (y == 0) return;
        y--;
        break;
    case DIR_LEFT:
        if (x == 0) return;
        x--;
        break;
    default:
        if (x == MAP_W - 1) return;
        x++;
        break;
    }
    if (!tile_walkable[*cell(x, y)] || obj_at(x, y)) return; /* blocked: only turn */
    g_px = x;
    g_py = y;
    g_moves++;
    if (!tile_warp[*cell(x, y)]) return;
    for (i = 0; i < NUM_WARPS; i++) {
        if (warps[i].map == g_map && warps[i].x == x && warps[i].y == y) {
            g_facing = warps[i].dest_facing;
            load_map(warps[i].dest_map, warps[i].dest_x, warps[i].dest_y);
            return;
        }
    }
}

/* ---- START menu ----------------------------------------------------------------------------- */
static void menu_draw(void) {
    u8 i;
    win_box(0, MENU_ROWS - 1);
    win_text(1, 1, "ITEMS");
    win_hp(10, 1, g_hp, g_maxhp);
    if (!g_menu_count) win_text(2, 2, "NO ITEMS");
    for (i = 0; i < g_menu_count; i++) {
        if (i == g_menu_cursor) win_put(1, 2 + i, '>');
        win_text(2, 2 + i, item_names[g_menu_list[i]]);
        win_put(14, 2 + i, 'X');
        win_num(15, 2 + i, g_items[g_menu_list[i]]);
    }
}

static void menu_open(void) {
    u8 i;
    g_menu_count = 0;
    for (i = 0; i < NUM_ITEMS; i++) {
        if (g_items[i]) g_menu_list[g_menu_count++] = i;
    }
    g_menu_cursor = 0;
    g_mode = MODE_MENU;
    menu_draw();
    g_win_wy = 144 - MENU_ROWS * 8;
}

static void use_item(u8 item) {
    if (item == ITEM_POTION) {
        if (g_hp >= g_maxhp) {
            dlg_open(txt_hp_full, ACT_NONE, 0);
            return;
        }
        g_items[ITEM_POTION]--;
        g_hp = g_hp + POTION_HEAL > g_maxhp ? g_maxhp : g_hp + POTION_HEAL;
        dlg_open(txt_use_potion, ACT_NONE, 0);
    } else {
        dlg_open(item == ITEM_KEY ? txt_desc_key : txt_desc_orb, ACT_NONE, 0);
    }
}

static void menu_input(void) {
    if (g_pressed & (BTN_B | BTN_START)) {
        g_win_wy = WY_HIDDEN;
        g_mode = MODE_WALK;
    } else if ((g_pressed & BTN_UP) && g_menu_cursor > 0) {
        g_menu_cursor--;
        menu_draw();
    } else if ((g_pressed & BTN_DOWN) && g_menu_cursor + 1 < g_menu_count) {
        g_menu_cursor++;
        menu_draw();
    } else if ((g_pressed & BTN_A) && g_menu_count) {
        use_item(g_menu_list[g_menu_cursor]);
    }
}

/* ---- battle (the whole screen is the window) ---------------------------------------------- */
static void battle_hp(void) {
    win_hp(2, 2, g_boss_hp, BOSS_MAX_HP);
    win_hp(10, 10, g_hp, g_maxhp);
}

static void battle_msg(const char *s, u8 next) {
    win_box(12, 17);
    win_text(1, 13, s);
    win_put(18, 17, T_MORE);
    g_bstate = BS_MSG;
    g_bnext = next;
}

static void battle_menu(void) {
    win_box(12, 17);
    win_text(1, 13, "WHAT WILL YOU DO?");
    win_text(2, 15, "FIGHT  ITEM  RUN");
    win_put(g_bcursor == 0 ? 1 : (g_bcursor == 1 ? 8 : 14), 15, '>');
    g_bstate = BS_MENU;
}

static void battle_start(void) {
    g_mode = MODE_BATTLE;
    g_boss_hp = BOSS_MAX_HP;
    g_bcursor = 0;
    win_blank(0, 11);
    win_text(1, 1, "CAVE KING");
    win_put(14, 3, T_BOSS_TL);
    win_put(15, 3, T_BOSS_TR);
    win_put(14, 4, T_BOSS_BL);
    win_put(15, 4, T_BOSS_BR);
    win_put(4, 8, T_PLAYER_UP);
    win_text(10, 9, "HERO");
    battle_hp();
    battle_msg("THE CAVE KING\nBLOCKS YOUR WAY!", BN_MENU);
    g_win_wy = 0;
}

static void battle_next(u8 next) {
    switch (next) {
    case BN_MENU:
        battle_menu();
        break;
    case BN_BOSS_TURN:
        g_hp = g_hp > BOSS_DAMAGE ? g_hp - BOSS_DAMAGE : 0;
        battle_hp();
        if (g_hp) battle_msg("THE CAVE KING HITS\nYOU FOR 5!", BN_MENU);
        else battle_msg("THE CAVE KING HITS\nYOU FOR 5!\nYOU FAINTED...", BN_LOSE);
        break;
    case BN_WIN:
        g_win_wy = WY_HIDDEN;
        g_mode = MODE_WALK;
        set_flag(F_BEAT_BOSS);
        break;
    default: /* lost: wake up at home, healed; the boss waits */
        g_hp = g_maxhp;
        g_mode = MODE_WALK;
        g_facing = DIR_DOWN;
        load_map(START_MAP, START_X, START_Y);
        break;
    }
}

static void battle_choose(void) {
    if (g_bcursor == 0) {
        g_boss_hp = g_boss_hp > PLAYER_DAMAGE ? g_boss_hp - PLAYER_DAMAGE : 0;
        battle_hp();
        if (g_boss_hp) battle_msg("YOU HIT THE CAVE\nKING FOR 6!", BN_BOSS_TURN);
        else battle_msg("YOU HIT THE CAVE\nKING FOR 6!\nTHE CAVE KING FLED!", BN_WIN);
    } else if (g_bcursor == 1) {
        if (!g_items[ITEM_POTION]) {
            battle_msg("YOU HAVE NO\nPOTIONS LEFT!", BN_MENU);
            return;
        }
        g_items[ITEM_POTION]--;
        g_hp = g_hp + POTION_HEAL > g_maxhp ? g_maxhp : g_hp + POTION_HEAL;
        battle_hp();
        battle_msg("YOU USED A POTION.\nYOU FEEL BETTER!", BN_BOSS_TURN);
    } else {
        battle_msg("YOU CAN'T RUN FROM\nTHE CAVE KING!", BN_BOSS_TURN);
    }
}

static void battle_input(void) {
    if (g_bstate == BS_MSG) {
        if (g_pressed & BTN_A) battle_next(g_bnext);
        return;
    }
    if (g_pressed & (BTN_LEFT | BTN_UP)) {
        g_bcursor = g_bcursor ? g_bcursor - 1 : 2;
        battle_menu();
    } else if (g_pressed & (BTN_RIGHT | BTN_DOWN)) {
        g_bcursor = g_bcursor == 2 ? 0 : g_bcursor + 1;
        battle_menu();
    } else if (g_pressed & BTN_A) {
        battle_choose();
    }
}

/* ---- title and main loop ---------------------------------------------------------------- */
static void bg_text(u8 col, u8 row, const char *s) {
    u8 *p = BG_MAP + ((u16)row << 5) + col;
    while (*s) *p++ = (u8)*s++;
}

static void title_screen(void) {
    u8 r, c;
    lcd_off();
    for (r = 0; r < MAP_H; r++) {
        for (c = 0; c < MAP_W; c++) {
            BG_MAP[((u16)r << 5) + c] = r >= 14 ? (r == 14 ? T_TREE : T_GRASS) : ' ';
        }
    }
    bg_text(6, 4, "Q U E S T");
    bg_text(2, 7, "A TINY ADVENTURE");
    bg_text(4, 11, "PRESS START");
    g_mode = MODE_TITLE;
    g_win_wy = WY_HIDDEN;
    update_sprite();
    for (r = 0; r < 4; r++) OAM[r] = g_oam[r];
    lcd_on(LCDC_BASE);
}

static void new_game(void) {
    g_flags[0] = g_flags[1] = 0;
    g_items[ITEM_POTION] = g_items[ITEM_KEY] = g_items[ITEM_ORB] = 0;
    g_hp = g_maxhp = PLAYER_MAX_HP;
    g_facing = DIR_DOWN;
    g_mode = MODE_WALK;
    load_map(START_MAP, START_X, START_Y);
}

static void init_hw(void) {
    u16 i;
    u8 *oam = OAM;
    rIE = 0;
    g_dirty_lo = WIN_ROWS; /* no dirty rows */
    g_dirty_hi = 0;
    lcd_off();
    for (i = 0; i < NUM_TILES * 16; i++) VRAM_TILES[i] = tile_data[i];
    for (i = 0; i < 160; i++) oam[i] = 0;
    rBGP = 0xE4;
    rOBP0 = 0xE4;
    rSCX = 0;
    rSCY = 0;
    rWX = 7;
    rWY = WY_HIDDEN;
    g_win_wy = WY_HIDDEN;
    rIF = 0;
    rIE = 0x01; /* VBlank only */
    __asm__("ei");
}

void main(void) {
    init_hw();
    title_screen();
    for (;;) {
        wait_vblank();
        vram_flush();
        g_frame++;
        g_prev = g_keys;
        g_keys = key_bits();
        g_pressed = g_keys & (u8)~g_prev;
        if (g_pressed) {
            switch (g_mode) {
            case MODE_TITLE:
                if (g_pressed & (BTN_START | BTN_A)) new_game();
                break;
            case MODE_WALK:
                if (g_pressed & BTN_A) interact();
                else if (g_pressed & BTN_START) menu_open();
                else if (g_pressed & BTN_UP) try_move(DIR_UP);
                else if (g_pressed & BTN_DOWN) try_move(DIR_DOWN);
                else if (g_pressed & BTN_LEFT) try_move(DIR_LEFT);
                else if (g_pressed & BTN_RIGHT) try_move(DIR_RIGHT);
                break;
            case MODE_DIALOG:
                dlg_input();
                break;
            case MODE_MENU:
                menu_input();
                break;
            default:
                battle_input();
                break;
            }
        }
        update_sprite();
    }
}
