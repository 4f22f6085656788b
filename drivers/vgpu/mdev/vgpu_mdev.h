/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vgpu mdev/VFIO frontend: what its files call of each other, and what the
 * sim device calls of it.
 */
#ifndef VGPU_MDEV_H
#define VGPU_MDEV_H

#include "core/vgpu_core.h"

/* mdev/vgpu_irq.c: eventfds behind interrupts */
int vgpu_irq_get_info(unsigned long arg);
int vgpu_irq_set(struct vgpu *vgpu, unsigned long arg);
void vgpu_irq_signal(struct vgpu *vgpu, unsigned int vector);
void vgpu_irq_request(struct vgpu *vgpu, unsigned int count);
void vgpu_irq_release_all(struct vgpu *vgpu);

/* mdev/vgpu_mdev.c: function reset (stop, drop work, zero the window) */
void vgpu_function_reset(struct vgpu *vgpu, bool cfg);

#endif /* VGPU_MDEV_H */
