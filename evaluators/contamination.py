"""Training images against a release: a model trained on the images it is scored on is marked.

API:
  mark_shared_images(recipe, release) -> recipe   with ``test_images_shared`` (how many of the
                          release's distinct images the recipe's ``train_images.sha256`` list
                          holds) and ``release_images``; a recipe without the list is returned
                          unchanged (nothing can be checked)
  contamination_note(recipe) -> str   "trained on test images (N of M)", "training images
                          disjoint from the release (checked)", or "" when not checked

Images are compared by perbench.images.pixel_sha256 (decoded pixels), so a release that
re-encoded a training image losslessly still matches. The count is always computed here, at
evaluation, from the release itself: a recipe's own claim is overwritten.
"""

from __future__ import annotations

from typing import Any

from perbench.images import release_pixel_hashes


def mark_shared_images(recipe: dict[str, Any] | None, release) -> dict[str, Any] | None:
    listed = ((recipe or {}).get("train_images") or {}).get("sha256")
    if not isinstance(listed, list):
        return recipe
    distinct = set(release_pixel_hashes(release).values())
    shared = len(distinct & {str(h) for h in listed})
    return {**recipe, "test_images_shared": shared, "release_images": len(distinct)}


def contamination_note(recipe: dict[str, Any] | None) -> str:
    shared = (recipe or {}).get("test_images_shared")
    if not isinstance(shared, int):
        return ""
    if shared:
        return f"trained on test images ({shared} of {recipe.get('release_images')})"
    return "training images disjoint from the release (checked)"
