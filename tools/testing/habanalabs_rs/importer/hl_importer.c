// SPDX-License-Identifier: GPL-2.0
/*
 * A test importer of dma-bufs, for the habanalabs_rs tests.
 *
 * RDMA drivers import device memory the way this module does: mlx5 attaches dynamically,
 * accepting peer-to-peer addresses and offering a callback for revocation, and maps under the
 * buffer's reservation lock; efa attaches with peer-to-peer allowed but no revocation and pins
 * the buffer before mapping. This module does the same on behalf of a PCI device the test
 * names (a second emulated Gaudi behind the same PCIe switch plays the NIC), and hands the
 * DMA addresses it got to user space, which has that device read them (through the model's
 * control channel) and compares the bytes. A third way is irdma's: pinned, but revocable (told
 * to, it unmaps and unpins). Two more modes check refusals: an importer that does not accept
 * peer-to-peer memory, and one whose device has no PCI path to the exporter. An import may
 * lower the importing device's DMA segment limit while it maps, as a NIC with small segments
 * would have it, so that the exporter's splitting shows.
 *
 * One import per open file; closing the file releases it.
 */
#include <linux/dma-buf.h>
#include <linux/dma-resv.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include "hl_importer.h"

struct hli_file {
	struct mutex lock;
	struct dma_buf *dmabuf;
	struct dma_buf_attachment *attach;
	struct sg_table *sgt;
	struct pci_dev *pdev;
	bool pinned;
	unsigned int revoked;
	unsigned int mode;
	unsigned int seg_limit;
};

static struct miscdevice hli_misc;

/* The exporter revokes the mapping: unmap it, as mlx5 does, under the reservation lock. */
static void hli_invalidate(struct dma_buf_attachment *attach)
{
	struct hli_file *f = attach->importer_priv;

	dma_resv_assert_held(attach->dmabuf->resv);
	if (f->sgt) {
		dma_buf_unmap_attachment(attach, f->sgt, DMA_BIDIRECTIONAL);
		f->sgt = NULL;
	}
	f->revoked++;
}

/* Revoked while pinned: unmap and unpin, as RDMA's revocable pinned imports do. */
static void hli_revoke_pinned(struct dma_buf_attachment *attach)
{
	struct hli_file *f = attach->importer_priv;

	hli_invalidate(attach);
	if (f->pinned) {
		dma_buf_unpin(attach);
		f->pinned = false;
	}
}

static const struct dma_buf_attach_ops hli_dynamic_ops = {
	.allow_peer2peer = true,
	.invalidate_mappings = hli_invalidate,
};

static const struct dma_buf_attach_ops hli_pinned_revocable_ops = {
	.allow_peer2peer = true,
	.invalidate_mappings = hli_revoke_pinned,
};

static const struct dma_buf_attach_ops hli_pinned_ops = {
	.allow_peer2peer = true,
};

static void hli_release(struct hli_file *f)
{
	if (!f->dmabuf)
		return;
	if (f->attach) {
		dma_resv_lock(f->dmabuf->resv, NULL);
		if (f->sgt)
			dma_buf_unmap_attachment(f->attach, f->sgt, DMA_BIDIRECTIONAL);
		if (f->pinned)
			dma_buf_unpin(f->attach);
		dma_resv_unlock(f->dmabuf->resv);
		dma_buf_detach(f->dmabuf, f->attach);
	}
	dma_buf_put(f->dmabuf);
	pci_dev_put(f->pdev);
	f->dmabuf = NULL;
	f->attach = NULL;
	f->sgt = NULL;
	f->pdev = NULL;
	f->pinned = false;
}

/*
 * Maps under the reservation lock, with the importing device's segment limit lowered for the
 * time of the map if the import asked for it.
 */
static int hli_map_locked(struct hli_file *f, struct device *dev)
{
	unsigned int old = dma_get_max_seg_size(dev);
	struct sg_table *sgt;

	if (f->seg_limit)
		dma_set_max_seg_size(dev, f->seg_limit);
	sgt = dma_buf_map_attachment(f->attach, DMA_BIDIRECTIONAL);
	if (f->seg_limit)
		dma_set_max_seg_size(dev, old);
	if (IS_ERR(sgt))
		return PTR_ERR(sgt);
	f->sgt = sgt;
	return 0;
}

/* Maps again after a revocation; pinned imports pin again first. */
static long hli_remap(struct hli_file *f)
{
	int rc = 0;

	if (!f->attach)
		return -EINVAL;
	dma_resv_lock(f->dmabuf->resv, NULL);
	if (f->sgt)
		goto out;
	if ((f->mode == HLI_PINNED || f->mode == HLI_PINNED_REVOCABLE) && !f->pinned) {
		rc = dma_buf_pin(f->attach);
		if (rc)
			goto out;
		f->pinned = true;
	}
	rc = hli_map_locked(f, f->attach->dev);
out:
	dma_resv_unlock(f->dmabuf->resv);
	return rc;
}

static struct pci_dev *hli_find_pci(const char *name)
{
	unsigned int dom, bus, dev, fn;

	if (sscanf(name, "%x:%x:%x.%x", &dom, &bus, &dev, &fn) != 4)
		return NULL;
	return pci_get_domain_bus_and_slot(dom, bus, PCI_DEVFN(dev, fn));
}

static long hli_import(struct hli_file *f, struct hli_import __user *uarg)
{
	struct hli_import a;
	struct device *dev;
	struct scatterlist *sg;
	unsigned int i;
	int rc;

	if (copy_from_user(&a, uarg, sizeof(a)))
		return -EFAULT;
	a.pci_dev[sizeof(a.pci_dev) - 1] = 0;
	if (f->dmabuf)
		return -EBUSY;
	f->dmabuf = dma_buf_get(a.fd);
	if (IS_ERR(f->dmabuf)) {
		rc = PTR_ERR(f->dmabuf);
		f->dmabuf = NULL;
		return rc;
	}
	f->pdev = hli_find_pci(a.pci_dev);
	if (!f->pdev && a.mode != HLI_NO_PCI) {
		rc = -ENODEV;
		goto fail;
	}
	/* The misc device has no PCI ancestor: peer-to-peer cannot reach anything from it. */
	dev = a.mode == HLI_NO_PCI ? hli_misc.this_device : &f->pdev->dev;

	switch (a.mode) {
	case HLI_DYNAMIC:
	case HLI_NO_PCI:
		f->attach = dma_buf_dynamic_attach(f->dmabuf, dev, &hli_dynamic_ops, f);
		break;
	case HLI_PINNED:
		f->attach = dma_buf_dynamic_attach(f->dmabuf, dev, &hli_pinned_ops, f);
		break;
	case HLI_PINNED_REVOCABLE:
		f->attach = dma_buf_dynamic_attach(f->dmabuf, dev, &hli_pinned_revocable_ops, f);
		break;
	case HLI_STATIC:
		f->attach = dma_buf_attach(f->dmabuf, dev);
		break;
	default:
		rc = -EINVAL;
		goto fail;
	}
	if (IS_ERR(f->attach)) {
		rc = PTR_ERR(f->attach);
		f->attach = NULL;
		goto fail;
	}

	f->mode = a.mode;
	f->seg_limit = a.seg_limit;
	dma_resv_lock(f->dmabuf->resv, NULL);
	if (a.mode == HLI_PINNED || a.mode == HLI_PINNED_REVOCABLE) {
		rc = dma_buf_pin(f->attach);
		if (rc) {
			dma_resv_unlock(f->dmabuf->resv);
			goto fail;
		}
		f->pinned = true;
	}
	rc = hli_map_locked(f, dev);
	dma_resv_unlock(f->dmabuf->resv);
	if (rc)
		goto fail;
	a.nents = f->sgt->nents;
	a.max_seg = a.seg_limit ? a.seg_limit : dma_get_max_seg_size(dev);
	a.size = f->dmabuf->size;
	for_each_sgtable_dma_sg(f->sgt, sg, i) {
		if (i >= HLI_MAX_ENTRIES)
			break;
		a.addr[i] = sg_dma_address(sg);
		a.len[i] = sg_dma_len(sg);
	}
	if (copy_to_user(uarg, &a, sizeof(a)))
		return -EFAULT;
	return 0;

fail:
	hli_release(f);
	return rc;
}

static long hli_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct hli_file *f = file->private_data;
	long rc;

	mutex_lock(&f->lock);
	switch (cmd) {
	case HLI_IMPORT:
		rc = hli_import(f, (struct hli_import __user *)arg);
		break;
	case HLI_RELEASE:
		rc = f->revoked;
		hli_release(f);
		f->revoked = 0;
		break;
	case HLI_REMAP:
		rc = hli_remap(f);
		break;
	case HLI_STATE:
		/* Read under the reservation lock, which revocation holds while it changes it. */
		if (f->dmabuf)
			dma_resv_lock(f->dmabuf->resv, NULL);
		rc = f->revoked | (f->sgt ? 1 << 16 : 0);
		if (f->dmabuf)
			dma_resv_unlock(f->dmabuf->resv);
		break;
	default:
		rc = -ENOTTY;
	}
	mutex_unlock(&f->lock);
	return rc;
}

static int hli_open(struct inode *inode, struct file *file)
{
	struct hli_file *f = kzalloc(sizeof(*f), GFP_KERNEL);

	if (!f)
		return -ENOMEM;
	mutex_init(&f->lock);
	file->private_data = f;
	return 0;
}

static int hli_close(struct inode *inode, struct file *file)
{
	struct hli_file *f = file->private_data;

	hli_release(f);
	mutex_destroy(&f->lock);
	kfree(f);
	return 0;
}

static const struct file_operations hli_fops = {
	.owner = THIS_MODULE,
	.open = hli_open,
	.release = hli_close,
	.unlocked_ioctl = hli_ioctl,
};

static struct miscdevice hli_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "hl_importer",
	.fops = &hli_fops,
};

module_misc_device(hli_misc);

MODULE_DESCRIPTION("Test importer of dma-bufs for the habanalabs_rs tests");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS("DMA_BUF");
