/* QUEST-GBA: a small Game Boy Advance adventure (house, meadow, grove, shrine).
 *
 * Thumb code built with arm-none-eabi-gcc and our own crt0.s / gba.ld; the data (palette, 16x16 cell art,
 * rooms, warps, objects, texts) comes from assets.py through the generated build/assets.{c,h}.
 *
 * Video: mode 0. BG0 (priority 3) shows the room's terrain, one 16x16 cell as 2x2 tiles; BG2 (priority 2)
 * the objects on it (transparent around them); OBJ 0 (priority 1) is the player; BG1 (priority 0) the text.
 * The room layers are redrawn only when something on them changes.
 *
 * Input contract: the game acts on the press edge only (no auto-repeat) and finishes every press within
 * one frame, because the runtime holds a button for 8 frames and releases it for 16.
 *
 * Frame: VBlankIntrWait (the CPU halts, so emulation of idle frames is cheap) -> redraw what changed ->
 * read the keys -> run the logic of the current mode, which only marks what to redraw.
 *
 * Globals named g_* are the game state the Python adapter reads from EWRAM, at the addresses build.py
 * takes from the linked ELF's symbol table.
 */
#include <stdint.h>
#include "assets.h"

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;

#define REG16(a) (*(volatile u16 *)(a))
#define REG_DISPCNT REG16(0x04000000)
#define REG_DISPSTAT REG16(0x04000004)
#define REG_BG0CNT REG16(0x04000008)
#define REG_BG1CNT REG16(0x0400000A)
#define REG_BG2CNT REG16(0x0400000C)
#define REG_KEYINPUT REG16(0x04000130)
#define REG_IE REG16(0x04000200)
#define REG_IME REG16(0x04000208)

#define PAL_BG ((volatile u16 *)0x05000000)
#define PAL_OBJ ((volatile u16 *)0x05000200)
#define CHAR_BG ((volatile u32 *)0x06000000)
#define CHAR_OBJ ((volatile u32 *)0x06010000)
#define SB_ROOM 28 /* screenblocks (2 KiB each) of BG0, BG1, BG2 */
#define SB_TEXT 29
#define SB_OBJS 30
#define SCREEN(n) ((volatile u16 *)(0x06000000 + (n) * 0x800))
#define OAM ((volatile u16 *)0x07000000)

#define KEY_A 0x001
#define KEY_B 0x002
#define KEY_SELECT 0x004
#define KEY_START 0x008
#define KEY_RIGHT 0x010
#define KEY_LEFT 0x020
#define KEY_UP 0x040
#define KEY_DOWN 0x080
#define KEY_R 0x100
#define KEY_L 0x200
#define KEY_DIRS (KEY_RIGHT | KEY_LEFT | KEY_UP | KEY_DOWN)

#define DIRTY_ROOM 1
#define DIRTY_TEXT 2
#define BOX_TOP 15 /* the dialog box: tile rows 15..19, text on rows 16..18 */
#define TITLE_TOP 5

typedef struct {
    u8 x, y, kind, arg, cell;
} obj_t; /* OBJ_FIELDS in assets.py */

/* ---- state (zeroed by crt0) --------------------------------------------------------------------------- */
u8 g_mode;
u8 g_room;
u8 g_px, g_py, g_facing;
u8 g_flags;
u8 g_items[NUM_ITEMS];
u8 g_obj_count;
obj_t g_objs[MAX_OBJS];
u8 g_room_buf[ROOM_W * ROOM_H];
char g_dialog[DIALOG_MAX]; /* the text on screen (title or dialog page), NUL-terminated; "" when none */
const char *g_dlg_next;    /* the next page of the open dialog, 0 on the last one */
u8 g_dlg_action;
u8 g_dirty;
u16 g_keys, g_pressed;
u16 g_moves;
u32 g_frame;

/* gcc may turn loops into these calls even when freestanding */
void *memset(void *dst, int c, unsigned n) {
    u8 *d = dst;
    while (n--) *d++ = (u8)c;
    return dst;
}

void *memcpy(void *dst, const void *src, unsigned n) {
    u8 *d = dst;
    const u8 *s = src;
    while (n--) *d++ = *s++;
    return dst;
}

static void vblank_wait(void) { __asm__ volatile("swi 0x05" ::: "r0", "r1", "r2", "r3", "memory"); }

static u8 flag(u8 f) { return (g_flags >> f) & 1; }

/* ---- rooms and objects ---------------------------------------------------------------------------------- */
static void refresh_objects(void) {
    g_obj_count = 0;
    for (u8 i = 0; i < NUM_OBJDEFS; i++) {
        const objdef_t *d = &objdefs[i];
        if (d->room != g_room || (d->hide_flag != NO_FLAG && flag(d->hide_flag))) continue;
        if (g_obj_count == MAX_OBJS) break;
        obj_t *o = &g_objs[g_obj_count++];
        u8 moved = d->move_flag != NO_FLAG && flag(d->move_flag);
        o->x = moved ? d->alt_x : d->x;
        o->y = moved ? d->alt_y : d->y;
        o->kind = d->kind;
        o->arg = d->arg;
        o->cell = d->cell;
    }
    for (u8 i = g_obj_count; i < MAX_OBJS; i++) g_objs[i].kind = OBJ_NONE;
    g_dirty |= DIRTY_ROOM;
}

/* Progress also goes to the cartridge's battery-backed SRAM (8-bit writes only), as a real game's save does:
 * "QG", the flags, the item counts. The game never reads it back; it is there so savestates must carry it. */
#define SRAM ((volatile u8 *)0x0E000000)

static void save_progress(void) {
    SRAM[0] = 'Q';
    SRAM[1] = 'G';
    SRAM[2] = g_flags;
    for (u8 i = 0; i < NUM_ITEMS; i++) SRAM[3 + i] = g_items[i];
}

static void set_flag(u8 f) {
    g_flags |= (u8)(1 << f);
    refresh_objects();
    save_progress();
}

static void load_room(u8 room) {
    g_room = room;
    memcpy(g_room_buf, &room_cells[room * ROOM_W * ROOM_H], ROOM_W * ROOM_H);
    refresh_objects();
    if (g_mode != MODE_TITLE && room_enter_flag[room] != NO_FLAG) set_flag(room_enter_flag[room]);
}

static obj_t *object_at(u8 x, u8 y) {
    for (u8 i = 0; i < g_obj_count; i++) {
        if (g_objs[i].x == x && g_objs[i].y == y) return &g_objs[i];
    }
    return 0;
}

/* ---- drawing -------------------------------------------------------------------------------------------- */
static void put_cell(u8 screen, u8 cx, u8 cy, u8 cell) {
    volatile u16 *sb = SCREEN(screen) + (cy * 2) * 32 + cx * 2;
    u16 t = CELL_TILE0 + cell * 4;
    sb[0] = t;
    sb[1] = t + 1;
    sb[32] = t + 2;
    sb[33] = t + 3;
}

static void draw_room(void) {
    volatile u16 *objs = SCREEN(SB_OBJS);
    for (u16 i = 0; i < 32 * 20; i++) objs[i] = 0;
    for (u8 y = 0; y < ROOM_H; y++) {
        for (u8 x = 0; x < ROOM_W; x++) put_cell(SB_ROOM, x, y, g_room_buf[y * ROOM_W + x]);
    }
    for (u8 i = 0; i < g_obj_count; i++) put_cell(SB_OBJS, g_objs[i].x, g_objs[i].y, g_objs[i].cell);
}

static void draw_box(u8 top, u8 rows) {
    volatile u16 *sb = SCREEN(SB_TEXT);
    for (u8 r = 0; r < rows; r++) {
        volatile u16 *row = sb + (top + r) * 32;
        u8 first = r == 0, last = r == rows - 1;
        row[0] = first ? BOX_TL : last ? BOX_BL : BOX_L;
        row[29] = first ? BOX_TR : last ? BOX_BR : BOX_R;
        for (u8 c = 1; c < 29; c++) row[c] = first ? BOX_T : last ? BOX_B : BOX_FILL;
    }
}

/* The lines of `text` ('\n'-separated, ends at NUL) from tile row `top`, `step` rows apart; left-aligned
 * or centred. */
static void draw_lines(const char *text, u8 top, u8 step, u8 centre) {
    volatile u16 *sb = SCREEN(SB_TEXT);
    u8 row = top;
    while (*text) {
        u8 n = 0;
        while (text[n] && text[n] != '\n') n++;
        u8 col = centre ? (u8)(15 - (n + 1) / 2) : 2;
        for (u8 i = 0; i < n; i++) sb[row * 32 + col + i] = (u8)text[i];
        text += n;
        if (*text == '\n') text++;
        row += step;
    }
}

static void draw_text(void) {
    volatile u16 *sb = SCREEN(SB_TEXT);
    for (u16 i = 0; i < 32 * 20; i++) sb[i] = 0;
    if (g_mode == MODE_TITLE) {
        draw_box(TITLE_TOP, 9);
        draw_lines(g_dialog, TITLE_TOP + 2, 2, 1);
    } else if (g_dialog[0]) {
        draw_box(BOX_TOP, 5);
        draw_lines(g_dialog, BOX_TOP + 1, 1, 0);
        if (g_dlg_next) sb[(BOX_TOP + 3) * 32 + 27] = BOX_MORE;
    }
}

static const u16 player_tile[4] = {0, 4, 8, 8}; /* DOWN, UP, LEFT (flipped SIDE), RIGHT */

static void draw_player(void) {
    if (g_mode == MODE_TITLE) {
        OAM[0] = 0x0200; /* hidden */
        return;
    }
    OAM[0] = (u16)((g_py * 16) & 0xFF);                                             /* square, 4bpp */
    OAM[1] = (u16)(((g_px * 16) & 0x1FF) | 0x4000 | (g_facing == DIR_LEFT ? 0x1000 : 0)); /* 16x16 */
    OAM[2] = (u16)(player_tile[g_facing] | 0x0400);                                       /* priority 1 */
}

/* ---- dialog --------------------------------------------------------------------------------------------- */
static void show_page(const char *p) {
    u8 n = 0;
    while (p[n] && p[n] != '\f' && n < DIALOG_MAX - 1) {
        g_dialog[n] = p[n];
        n++;
    }
    g_dialog[n] = 0;
    g_dlg_next = p[n] == '\f' ? p + n + 1 : 0;
    g_dirty |= DIRTY_TEXT;
}

static void open_text(const char *text, u8 action) {
    g_dlg_action = action;
    g_mode = MODE_DIALOG;
    show_page(text);
}

static void close_text(void) {
    g_dialog[0] = 0;
    g_dlg_next = 0;
    g_mode = MODE_WALK;
    g_dirty |= DIRTY_TEXT;
    switch (g_dlg_action) {
    case ACT_TALKED:
        set_flag(F_TALKED_TO_NPC);
        break;
    case ACT_GET_KEY:
        g_items[ITEM_KEY]++;
        set_flag(F_GOT_ITEM);
        break;
    case ACT_OPEN_GATE:
        set_flag(F_OPENED_GATE);
        break;
    case ACT_GET_CRYSTAL:
        g_items[ITEM_CRYSTAL]++;
        set_flag(F_REACHED_GOAL);
        break;
    }
    g_dlg_action = ACT_NONE;
}

/* ---- walking -------------------------------------------------------------------------------------------- */
static const int8_t dir_dx[4] = {0, 0, -1, 1};
static const int8_t dir_dy[4] = {1, -1, 0, 0};

static void try_move(void) {
    int nx = g_px + dir_dx[g_facing], ny = g_py + dir_dy[g_facing];
    if (nx < 0 || ny < 0 || nx >= ROOM_W || ny >= ROOM_H) return;
    if (!cell_walkable[g_room_buf[ny * ROOM_W + nx]] || object_at((u8)nx, (u8)ny)) return; /* turned only */
    g_px = (u8)nx;
    g_py = (u8)ny;
    g_moves++;
    for (u8 i = 0; i < NUM_WARPS; i++) {
        const warp_t *w = &warps[i];
        if (w->room == g_room && w->x == g_px && w->y == g_py) {
            g_px = w->dest_x;
            g_py = w->dest_y;
            g_facing = w->dest_facing;
            load_room(w->dest_room);
            return;
        }
    }
}

static void interact(void) {
    obj_t *o = object_at((u8)(g_px + dir_dx[g_facing]), (u8)(g_py + dir_dy[g_facing]));
    if (!o) return;
    switch (o->kind) {
    case OBJ_NPC:
        open_text(flag(F_TALKED_TO_NPC) ? TEXT_SAGE_AGAIN : TEXT_SAGE, ACT_TALKED);
        break;
    case OBJ_SIGN:
        open_text(TEXT_SIGN, ACT_NONE);
        break;
    case OBJ_ITEM:
        if (o->arg == ITEM_KEY) open_text(TEXT_FOUND_KEY, ACT_GET_KEY);
        else open_text(TEXT_CRYSTAL, ACT_GET_CRYSTAL);
        break;
    case OBJ_GATE:
        if (g_items[ITEM_KEY]) open_text(TEXT_GATE_OPEN, ACT_OPEN_GATE);
        else open_text(TEXT_GATE_LOCKED, ACT_NONE);
        break;
    }
}

static void walk(void) {
    u16 p = g_pressed;
    if (p & KEY_DIRS) {
        g_facing = (p & KEY_DOWN) ? DIR_DOWN : (p & KEY_UP) ? DIR_UP : (p & KEY_LEFT) ? DIR_LEFT : DIR_RIGHT;
        try_move();
    } else if (p & KEY_A) {
        interact();
    }
}

static void title(void) {
    if (g_pressed & (KEY_START | KEY_A)) {
        g_dialog[0] = 0;
        g_mode = MODE_WALK;
        g_px = START_X;
        g_py = START_Y;
        g_facing = START_FACING;
        load_room(START_ROOM);
        g_dirty |= DIRTY_TEXT;
    }
}

/* ---- start-up and main loop ----------------------------------------------------------------------------- */
static void init_video(void) {
    REG_DISPCNT = 0x0080; /* forced blank while loading */
    for (u16 i = 0; i < 16; i++) {
        PAL_BG[i] = palette[i];
        PAL_OBJ[i] = palette[i];
    }
    for (u16 i = 0; i < sizeof(bg_tiles) / 4; i++) CHAR_BG[i] = bg_tiles[i];
    for (u16 i = 0; i < sizeof(obj_tiles) / 4; i++) CHAR_OBJ[i] = obj_tiles[i];
    for (u16 i = 0; i < 128 * 4; i += 4) OAM[i] = 0x0200; /* every sprite hidden */
    REG_BG0CNT = (SB_ROOM << 8) | 3;                      /* charblock 0, 4bpp, 256x256, priority 3 */
    REG_BG1CNT = (SB_TEXT << 8) | 0;                      /* priority 0 */
    REG_BG2CNT = (SB_OBJS << 8) | 2;                      /* priority 2 */
    REG_DISPCNT = 0x0100 | 0x0200 | 0x0400 | 0x1000 | 0x0040; /* mode 0, BG0-2, OBJ, 1D sprite tiles */
}

int main(void) {
    init_video();
    REG_DISPSTAT = 0x0008; /* VBlank interrupt */
    REG_IE = 0x0001;
    REG_IME = 1;
    g_mode = MODE_TITLE;
    load_room(ROOM_MEADOW); /* the title screen's backdrop (sets no flag in MODE_TITLE) */
    show_page(TEXT_TITLE);
    u16 prev = 0xFFFF; /* a key held at power-on is no press */
    for (;;) {
        vblank_wait();
        g_frame++;
        if (g_dirty & DIRTY_ROOM) draw_room();
        if (g_dirty & DIRTY_TEXT) draw_text();
        draw_player();
        g_dirty = 0;
        g_keys = (u16)(~REG_KEYINPUT & 0x3FF);
        g_pressed = g_keys & (u16)~prev;
        prev = g_keys;
        if (g_mode == MODE_TITLE) title();
        else if (g_mode == MODE_WALK) walk();
        else if (g_pressed & (KEY_A | KEY_B)) {
            if (g_dlg_next) show_page(g_dlg_next);
            else close_text();
        }
    }
}
