/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * recognize.h: find and read licence plates in one frame.
 *
 * A recognizer is a context: a reader (the character classifier or a Tesseract engine), the
 * plate syntax and state-name tables and every working buffer the pipeline needs. Create one
 * per thread (a context is not thread-safe; two contexts
 * share nothing and may run side by side in one process). Buffers grow to fit the largest
 * frame seen, up to RECOGNIZE_MAX_PIXELS, and are reused for every later frame: after the
 * first frame of a given size, recognition allocates only inside Tesseract and Leptonica.
 *
 * The pipeline (ARCHITECTURE.md, app/recognize):
 *   1. localisation: the frame is brought to at most 1280 px wide; two local binarisations
 *      (dark on light and light on dark) at full and half scale give character-shaped blobs,
 *      which are grouped into straight rows of 3 to 9 similar blobs; each row is a plate
 *      hypothesis, ranked by how plate-like it is;
 *   2. reading: the best few hypotheses are read character by character: each blob of the
 *      row (a wide blob whole or split, whichever the classifier is surer of) is cut out as
 *      a normalised patch and classified by the project's small convolutional net
 *      (DATADIR/ocr/chars.cnn, classify.c); gaps in the row's rhythm and one pitch past
 *      each end are tried for characters the locator missed. With --reader tesseract, or
 *      when chars.cnn is missing, the row is cropped, deskewed and read by Tesseract
 *      instead (the project's plate.traineddata, else eng). Rows of smaller lettering
 *      above or below a registration give the issuing state (state.c);
 *   3. candidates: the per-character alternatives (the classifier's probabilities, or
 *      Tesseract's choice iterator) and the usual look-alikes (0/O/D, 1/I, 8/B, 5/S, 2/Z ...) are
 * combined into strings ranked by the product of the character confidences; strings that fit a US
 * plate syntax (data/plates/us-syntax.tsv) are boosted. The best string is the plate's text.
 *
 * Errors: functions return 0 or a negative errno; recognize_strerror() is alpr_strerror().
 * Nothing here writes to stdout or stderr except through alpr_log() ("recognize").
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct recognizer;

/* Largest frame accepted (pixels) and largest side: 8K, far above any camera the unit has. */
#define RECOGNIZE_MAX_PIXELS (7680u * 4320u)
#define RECOGNIZE_MAX_SIDE   16384
/* Largest encoded image file read by recognize_read_image(): a 8K JPEG is far smaller. */
#define RECOGNIZE_MAX_FILE_BYTES (64u << 20)
/* Longest plate text (US plates have at most 8 characters; room for other syntaxes). */
#define RECOGNIZE_MAX_CHARS 10
/* Most candidates kept per plate, and most plates reported per frame. */
#define RECOGNIZE_MAX_CANDIDATES 32
#define RECOGNIZE_MAX_PLATES     8
#define RECOGNIZE_MAX_REGIONS    16

/* What reads the characters of a plate hypothesis. */
enum recognize_reader {
	/* The character classifier (DATADIR/ocr/chars.cnn) when present, else Tesseract. */
	RECOGNIZE_READER_AUTO = 0,
	/* The character classifier; -ENOENT when its file is missing. */
	RECOGNIZE_READER_CHARS,
	/* Tesseract: DATADIR/ocr/plate.traineddata when present, else "eng". */
	RECOGNIZE_READER_TESSERACT,
};

struct recognize_options {
	/* Candidates per plate (1..RECOGNIZE_MAX_CANDIDATES); 0 means the default, 10. */
	int topn;
	/* Plates reported per frame (1..RECOGNIZE_MAX_PLATES); 0 means the default, 3. */
	int max_plates;
	/* A USPS state code ("MO") whose syntaxes are preferred, or NULL/"" for any state. */
	const char *state;
	/* The data folder (NULL: alpr_datadir()). The OCR model is DATADIR/ocr/plate.traineddata
	 * when present, else Tesseract's installed "eng" with an A-Z0-9 whitelist; the
	 * syntaxes are DATADIR/plates/us-syntax.tsv. */
	const char *datadir;
	/* Force Tesseract's "eng" even when the project model is present (for comparisons);
	 * implies RECOGNIZE_READER_TESSERACT. */
	bool force_eng;
	enum recognize_reader reader;
};

struct recognize_candidate {
	char text[RECOGNIZE_MAX_CHARS + 1];
	float confidence;  /* 0..100 */
	bool syntax_match; /* fits a syntax of the preferred state (or of any state) */
};

struct recognize_plate {
	char text[RECOGNIZE_MAX_CHARS + 1]; /* the best candidate, A-Z0-9 */
	float confidence;                   /* 0..100, the best candidate's */
	int nchars;
	float char_confidence[RECOGNIZE_MAX_CHARS]; /* 0..100 per character of @text */
	/* Axis-aligned plate box in frame pixels, and the four corners of the (possibly skewed)
	 * plate: top-left, top-right, bottom-right, bottom-left. Estimated from the character
	 * row, so it covers the plate's lettering and a margin, not always its exact frame. */
	int x, y, w, h;
	int corners[4][2];
	bool light_on_dark;
	/* The issuing state as printed on the plate (its name or a slogan only that state
	 * prints, read above or below the registration), USPS code, or "" when not read. */
	char state[3];
	float state_confidence; /* 0..100 */
	int ncandidates;
	struct recognize_candidate candidates[RECOGNIZE_MAX_CANDIDATES];
};

struct recognize_result {
	int nplates; /* best first */
	struct recognize_plate plates[RECOGNIZE_MAX_PLATES];
	/* Row hypotheses found by localisation and how many were read (diagnostics): the best
	 * RECOGNIZE_MAX_REGIONS as estimated plate boxes, best first. */
	int nregions, nread;
	struct {
		int x, y, w, h;
		float score;
	} regions[RECOGNIZE_MAX_REGIONS];
	double locate_ms, ocr_ms;
};

enum recognize_format {
	RECOGNIZE_GREY8 = 1, /* one byte per pixel */
	RECOGNIZE_RGB24 = 3, /* three bytes per pixel, R G B */
};

/*
 * Creates a recognizer. @opt may be NULL (defaults). Loads the syntax table and starts
 * Tesseract, which takes some tens of milliseconds: create once per thread, not per frame.
 * Returns 0 and *out, -EINVAL (bad options), -ENOENT (no OCR model found), -ALPR_E_PARSE
 * (a malformed syntax table) or -ENOMEM. Free with recognize_destroy().
 */
int recognize_create(const struct recognize_options *opt, struct recognizer **out);
/* Frees a recognizer and everything it owns. NULL is a no-op. */
void recognize_destroy(struct recognizer *r);

/* Which reader the recognizer runs: "chars" (the project's character classifier), "plate"
 * (the project's Tesseract model) or "eng" (Tesseract's). Borrowed. */
const char *recognize_model(const struct recognizer *r);

/*
 * Finds and reads the plates in one frame of @width x @height pixels in @format, rows
 * @stride bytes apart. The frame is only read, never kept. @out is filled (nplates may be
 * 0); it may be reused for every frame. Returns 0, -EINVAL (NULL pointers, a size of 0,
 * a stride too small) or -EFBIG (more than RECOGNIZE_MAX_PIXELS or a side over
 * RECOGNIZE_MAX_SIDE), -ENOMEM, or -EIO when Tesseract fails.
 */
int recognize_frame(struct recognizer *r, const uint8_t *pixels, int width, int height,
		    size_t stride, enum recognize_format format, struct recognize_result *out);

/*
 * Decodes an encoded image (JPEG, PNG, BMP, PNM, TIFF, WebP, GIF: whatever Leptonica reads)
 * of @len bytes and reads its plates into @out. The image is checked before it is decoded:
 * its size must fit the limits above, and a JPEG must decode without a warning (a truncated
 * or damaged JPEG is refused, not read half-grey). On failure a one-line reason is written
 * to @err (@errsz bytes, may be 0). Returns 0, -EINVAL (empty input or not an image),
 * -EFBIG (too large), -ALPR_E_CORRUPT (a damaged image), or recognize_frame()'s errors.
 */
int recognize_image(struct recognizer *r, const uint8_t *data, size_t len,
		    struct recognize_result *out, char *err, size_t errsz);

/* recognize_image() over a file of at most RECOGNIZE_MAX_FILE_BYTES. Also -ENOENT, -EISDIR,
 * -EFBIG (file too large) and other -errno from reading it. */
int recognize_file(struct recognizer *r, const char *path, struct recognize_result *out, char *err,
		   size_t errsz);
