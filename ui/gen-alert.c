/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * gen-alert: writes the hit alert, a WAV file the project makes at build time (no sound
 * files from elsewhere). Three rising two-tone chirps, 880 Hz to 1760 Hz, 0.9 s in all: a
 * shape no phone, radio or car chime uses, loud in the 1-2 kHz band a cabin does not mask.
 * 16-bit mono PCM at 22,050 Hz. Usage: gen-alert OUT.wav
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define RATE    22050
#define SECONDS 0.9
#define TAU     6.283185307179586

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v & 0xff);
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v & 0xffff));
	put16(p + 2, (uint16_t)(v >> 16));
}

int main(int argc, char **argv)
{
	enum { N = (int)(RATE * SECONDS) };
	static uint8_t data[44 + 2 * N];
	double phase = 0;
	FILE *f;

	if (argc != 2) {
		fprintf(stderr, "usage: gen-alert OUT.wav\n");
		return 2;
	}
	for (int i = 0; i < N; i++) {
		double t = (double)i / RATE;
		double seg = fmod(t, 0.3); /* three chirps of 0.3 s: 0.12 s low, 0.12 s high, gap */
		double freq = seg < 0.12 ? 880.0 + 600.0 * seg / 0.12
					 : 1480.0 + 280.0 * (seg - 0.12) / 0.12;
		double env = seg < 0.24 ? fmin(1.0, fmin(seg, 0.24 - seg) / 0.01) : 0.0;
		double v;

		phase += TAU * freq / RATE;
		v = 0.6 * env * (sin(phase) + 0.25 * sin(3.0 * phase));
		put16(data + 44 + 2 * i, (uint16_t)(int16_t)lrint(v * 32767.0 * 0.8));
	}
	memcpy(data, "RIFF", 4);
	put32(data + 4, 36 + 2 * N);
	memcpy(data + 8, "WAVEfmt ", 8);
	put32(data + 16, 16);
	put16(data + 20, 1); /* PCM */
	put16(data + 22, 1); /* mono */
	put32(data + 24, RATE);
	put32(data + 28, RATE * 2);
	put16(data + 32, 2);
	put16(data + 34, 16);
	memcpy(data + 36, "data", 4);
	put32(data + 40, 2 * N);
	f = fopen(argv[1], "wb");
	if (!f || fwrite(data, 1, sizeof(data), f) != sizeof(data) || fclose(f) != 0) {
		perror(argv[1]);
		return 1;
	}
	return 0;
}
