"""Glance v2 in the sandbox: the seeded cirros image, list filters, show and 404s."""

from __future__ import annotations

import pytest
from openstack import exceptions


def test_cirros_is_seeded_public_active_qcow2(cloud):
    image = cloud.connect("demo").image.find_image("cirros")
    assert image is not None
    assert (image.status, image.visibility, image.disk_format, image.container_format) == (
        "active", "public", "qcow2", "bare")
    assert image.size == 16300544 and len(image.checksum) == 32


def test_list_filters_by_name_status_and_visibility(cloud):
    images = cloud.connect("demo").image
    assert [i.name for i in images.images(name="cirros")] == ["cirros"]
    assert [i.name for i in images.images(status="active", visibility="public")] == ["cirros"]
    assert list(images.images(name="nope")) == []


def test_show_by_id_and_unknown_id_is_404(cloud):
    images = cloud.connect("demo").image
    cirros = images.find_image("cirros")
    assert images.get_image(cirros.id).name == "cirros"
    with pytest.raises(exceptions.NotFoundException):
        images.get_image("0b6c5f1e-0000-4000-8000-000000000000")


def test_a_private_image_is_seen_only_by_its_project(cloud):
    made = cloud.connect("demo").image.create_image(name="private", disk_format="raw", container_format="bare",
                                                    allow_duplicates=True)
    assert made.status == "queued" and made.visibility == "shared"
    assert cloud.connect("alpha").image.find_image("private") is None
    assert cloud.connect("demo").image.find_image("private").id == made.id
