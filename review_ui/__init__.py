"""PerBench review app: the manual check of candidate samples, in Gradio.

Modules:
  review_ui.auth       Users (file or env) and roles (adjudicator), password hashes, loopback rule
  review_ui.queue      ReviewQueue: filters, each reviewer's next sample, progress counts
  review_ui.view       SampleView: overlay image, draft text, mask slots, editor <-> RLE
  review_ui.places     SavedFilters: each reviewer's filters, kept beside the store for reloads
  review_ui.agreement  agreement_report(store): decision agreement and mask IoU between reviewers
  review_ui.controller ReviewController: the decisions and screens behind the buttons (no Gradio)
  review_ui.screen     Screen: what one page shows; its header and progress texts
  review_ui.editing    the form and mask edits, as the store's ``after``
  review_ui.images     content-addressed display images, served by a cacheable URL
  review_ui.layout     the page's components; review_ui.render: a Screen as the page's outputs
  review_ui.delta      sending outputs cheaply (component properties only when they changed)
  review_ui.app        build_app(store, ...) -> gr.Blocks (the event handlers); launch_app(...)
  review_ui.shortcuts  the one-key shortcuts (JavaScript run on page load)
  review_ui.cli        ``perbench review STORE``

Every decision is one append-only entry of the candidate store's log (perbench.store); the app
keeps no state of its own that a restart could lose: a reviewer's place is derived from the log,
and the filters a reviewer last chose are saved in small JSON files beside the store.
"""
