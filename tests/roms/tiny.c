/* Tiny test cartridge for the Game Boy env tests.
 *
 * Why it exists: tests need a ROM we can ship (no commercial ROMs) whose memory reacts to
 * buttons in a way a test can predict. Each *new* press of a direction moves the player one
 * cell (edge-triggered, so one env press = one move), A and START presses are counted, and the
 * background scroll follows the player so the rendered frame changes too.
 * Holding SELECT for 20 frames executes the undefined opcode 0xD3, which hangs PyBoy's tick() for
 * good: the tests use it to check that a hang in the middle of a run is caught and the child killed.
 * (The env's default press holds a button 8 frames, so random actions, e.g. check_env's, never hang.)
 * No interrupts: the main loop polls LY to run once per frame.
 * State lives at fixed WRAM addresses (read by tests/tiny_adapter.py).
 */
#define REG(a) (*(volatile unsigned char *)(a))

#define P1 REG(0xFF00)
#define SCY REG(0xFF42)
#define SCX REG(0xFF43)
#define LY REG(0xFF44)

#define MAGIC REG(0xC000)       /* 0x42 once main() has initialised */
#define FRAMES_LO REG(0xC001)   /* frames seen by the main loop, little endian */
#define FRAMES_HI REG(0xC002)
#define POS_X REG(0xC003)
#define POS_Y REG(0xC004)
#define FACING REG(0xC005)      /* 0 down, 1 up, 2 left, 3 right */
#define A_PRESSES REG(0xC006)
#define JOYPAD REG(0xC007)      /* bit 0 R, 1 L, 2 U, 3 D, 4 A, 5 B, 6 SELECT, 7 START (1 = held) */
#define START_PRESSES REG(0xC008)

#define J_RIGHT 0x01
#define J_LEFT 0x02
#define J_UP 0x04
#define J_DOWN 0x08
#define J_A 0x10
#define J_SELECT 0x40
#define J_START 0x80

static unsigned char read_joypad(void) {
    unsigned char d, b;
    P1 = 0x20; /* select the d-pad; read a few times to let the lines settle */
    d = P1; d = P1; d = P1;
    P1 = 0x10; /* select the buttons */
    b = P1; b = P1; b = P1;
    P1 = 0x30;
    return (unsigned char)((~d & 0x0F) | ((~b & 0x0F) << 4));
}

void main(void) {
    unsigned char joy, last = 0, edge;
    unsigned int frames = 0;
    unsigned char select_held = 0;
    /* --no-std-crt0: no global initialisers, so initialise here */
    POS_X = 0; POS_Y = 0; FACING = 0; A_PRESSES = 0; START_PRESSES = 0; JOYPAD = 0;
    FRAMES_LO = 0; FRAMES_HI = 0;
    MAGIC = 0x42;
    for (;;) {
        while (LY != 144) {}
        joy = read_joypad();
        edge = joy & (unsigned char)~last;
        last = joy;
        JOYPAD = joy;
        if (edge & J_RIGHT) { POS_X++; FACING = 3; }
        if (edge & J_LEFT) { POS_X--; FACING = 2; }
        if (edge & J_UP) { POS_Y--; FACING = 1; }
        if (edge & J_DOWN) { POS_Y++; FACING = 0; }
        if (edge & J_A) A_PRESSES++;
        if (edge & J_START) START_PRESSES++;
        select_held = (joy & J_SELECT) ? select_held + 1 : 0;
        if (select_held >= 20) { __asm__(".db 0xd3"); }
        SCX = (unsigned char)(POS_X << 3);
        SCY = (unsigned char)(POS_Y << 3);
        frames++;
        FRAMES_LO = (unsigned char)frames;
        FRAMES_HI = (unsigned char)(frames >> 8);
        while (LY == 144) {}
    }
}
