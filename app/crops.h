/* SPDX-License-Identifier: LicenseRef-Proprietary */
/*
 * crops.h: the plate crops of recent frames, so that a read (which arrives when its track
 * closes, seconds after its best frame went back to the camera's pool) can carry the crop of
 * its best frame into the store and the read event.
 *
 * The recognition workers cut every read plate of every frame (the box and a margin, whole-
 * pixel subsampled to at most CROPS_W_MAX x CROPS_H_MAX, 8-bit grey) into a ring per camera;
 * the pipeline thread looks a read's best frame up by frame sequence number and box and
 * encodes it as PNG. A frame that has left the ring gives no crop (the read is stored
 * without one, and a debug line says so): memory is fixed at creation, nothing queues.
 *
 * Memory: CROPS_RING slots of about 19 KiB per camera, allocated by unit_crops_create().
 * Threads: unit_crops_keep() from any number of threads at once (a lock per camera);
 * unit_crops_png() from any thread; create and destroy from one thread, with no other call
 * running. Errors: 0 or a negative errno.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "recognize.h"

/* Crops kept per camera. A read arrives when its track closes: at most max_track_us (4 s)
 * after its first sighting, plus the close gap (1 s) and the results queue's lag. At 15 fps
 * with the recognizer's three plates at most per frame that is about 250 crops; a typical
 * frame has one or two. */
#define CROPS_RING 256
/* A kept crop, at most (larger boxes are subsampled): what the hit card shows, and a few
 * KiB of PNG in the store. */
#define CROPS_W_MAX 240
#define CROPS_H_MAX 80

struct unit_crops;

/* A ring for each of @ncameras cameras (indexes 0 .. ncameras-1). -EINVAL for 0 cameras. */
int unit_crops_create(size_t ncameras, struct unit_crops **out);
/* NULL is a no-op. */
void unit_crops_destroy(struct unit_crops *c);

/* Keeps the crops of @res's plates (a state name row or an empty text is skipped) from the
 * @width x @height grey frame @gray (rows @stride bytes apart), frame @seq of @camera. The
 * frame is only read, during the call. An unknown camera is ignored. */
void unit_crops_keep(struct unit_crops *c, unsigned camera, uint64_t seq, const uint8_t *gray,
		     int width, int height, size_t stride, const struct recognize_result *res);

/* The crop of the plate with box (@x, @y, @w, @h), as the recognizer gave it, in frame @seq
 * of @camera, as a grey PNG: *png is malloc'ed (the caller frees it), *len its size.
 * -ENOENT when that frame's crop has left the ring (or never was), -EIO when encoding fails. */
int unit_crops_png(struct unit_crops *c, unsigned camera, uint64_t seq, int x, int y, int w, int h,
		   uint8_t **png, size_t *len);
