"""The pixel-exact mask editor: brush, eraser and polygon on canvases at the image's own size.

API:
  EDITOR_ID               elem_id of the editor's gr.HTML
  EDITOR_JS               its ``js_on_load`` (drawing tools; set up for every new value)
  EDITOR_CSS              its styles (part of the page CSS)
  READ_MASK_JS            ``js=`` of the apply button: replaces the hidden input by the painted
                          mask, a PNG data URL, before the server sees it
  editor_html(rgb, mask, color) -> str      the editor's value for an image and one mask
  mask_from_png(data_url, height, width, sample_id) -> RLE   painted pixels (alpha >= 128)

Why not gr.ImageEditor: it places the loaded layer on its own (default 800x800) canvas centred
differently from the background, so a layer of a 640x480 photo was drawn (+80, +160) px off and
a painted layer came back in canvas coordinates. Here the background, mask and guide canvases
all have ``width, height`` = the image's size, the mask is drawn 1:1 from a PNG, and a pointer
at client (cx, cy) maps to image pixel ``(cx - left) * width / shown_width`` (likewise y), so a
stroke at image pixel (x, y) lands at (x, y) at any display scale or aspect ratio. Brush sizes
are in image pixels. The polygon tool adds a vertex per click; double click or "Close polygon"
fills it (add or remove). Antialiased edges count when at least half covered (alpha >= 128).

The editor opens over the page's left side (fixed, where the sample image is: nothing scrolls
away) with its own "Use the edited mask" and "Close editor" buttons. The wheel, "Zoom +/-" and
"Fit" zoom about the pointer or centre; the Pan tool (or the middle button) drags the view;
strokes still land on the image pixel under the pointer, since the pointer is mapped through the
transformed canvas box. "Undo stroke" (Ctrl+Z) removes the last stroke or polygon (the edits
are replayed over the loaded mask). A ring shows the brush's footprint under the pointer.
"""

from __future__ import annotations

import base64
import html
import io
import secrets

import numpy as np
from PIL import Image

from perbench.errors import PerBenchError
from perbench.masks import RLE, encode

EDITOR_ID = "mask-editor"
JPEG_QUALITY = 90


class MaskEditorError(PerBenchError):
    """The editor's mask cannot be read (names what to do instead)."""


def _data_url(image: Image.Image, fmt: str) -> str:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **({"quality": JPEG_QUALITY} if fmt == "JPEG" else {}))
    mime = "jpeg" if fmt == "JPEG" else "png"
    return f"data:image/{mime};base64,{base64.b64encode(buffer.getvalue()).decode()}"


def editor_html(rgb: np.ndarray, mask: np.ndarray | None, color: tuple[int, int, int]) -> str:
    """The editor for image ``rgb`` (H, W, 3) uint8 with ``mask`` (H, W) (None: empty)."""
    height, width = rgb.shape[:2]
    layer = np.zeros((height, width, 4), dtype=np.uint8)
    if mask is not None:
        layer[mask.astype(bool)] = (*color, 255)
    hex_color = "#{:02x}{:02x}{:02x}".format(*color)
    brush = max(2, round(min(width, height) / 80))
    attrs = {
        "data-w": width,
        "data-h": height,
        "data-color": hex_color,
        "data-bg": _data_url(Image.fromarray(rgb), "JPEG"),
        "data-mask": _data_url(Image.fromarray(layer, "RGBA"), "PNG"),
        # a new value on every load, so loading the same mask again drops the painting
        "data-load": secrets.token_hex(4),
    }
    attr_text = " ".join(f'{k}="{html.escape(str(v))}"' for k, v in attrs.items())
    return (
        f'<div class="pb-ed" {attr_text}>'
        '<div class="pb-ed-tools">'
        '<label><input type="radio" name="pb-tool" value="brush" checked> Brush</label>'
        '<label><input type="radio" name="pb-tool" value="eraser"> Eraser</label>'
        '<label><input type="radio" name="pb-tool" value="polygon"> Polygon</label>'
        '<label><input type="checkbox" class="pb-poly-remove"> polygon removes</label>'
        f'<label>size (image px) <input type="number" class="pb-size" min="1" value="{brush}">'
        "</label>"
        '<label><input type="radio" name="pb-tool" value="pan"> Pan</label>'
        '<button type="button" class="pb-close">Close polygon</button>'
        '<button type="button" class="pb-undo" title="Ctrl+Z">Undo stroke</button>'
        '<button type="button" class="pb-zoom-in">Zoom +</button>'
        '<button type="button" class="pb-zoom-out">Zoom -</button>'
        '<button type="button" class="pb-fit">Fit</button>'
        '<button type="button" class="pb-apply">Use the edited mask</button>'
        '<button type="button" class="pb-hide">Close editor</button>'
        '<span class="pb-ed-status"></span>'
        "</div>"
        '<div class="pb-ed-view"><div class="pb-ed-stage"><canvas class="pb-bg"></canvas>'
        '<canvas class="pb-mask"></canvas><canvas class="pb-guide"></canvas></div></div></div>'
    )


def mask_from_png(data_url: str | None, height: int, width: int, sample_id: str) -> RLE:
    """The mask painted in the editor: pixels whose alpha is at least 128, as an RLE."""
    if not data_url or not data_url.startswith("data:image/png;base64,"):
        raise MaskEditorError(
            f"sample {sample_id}: the editor holds no mask; load a mask into the editor first"
        )
    try:
        image = Image.open(io.BytesIO(base64.b64decode(data_url.split(",", 1)[1])))
        alpha = np.asarray(image.convert("RGBA"))[..., 3]
    except (ValueError, OSError) as exc:
        raise MaskEditorError(
            f"sample {sample_id}: the editor's mask is unreadable ({exc}); load it again"
        ) from None
    if alpha.shape != (height, width):
        raise MaskEditorError(
            f"sample {sample_id}: the editor holds a {alpha.shape[1]}x{alpha.shape[0]} mask but "
            f"the image is {width}x{height}; load this sample's mask into the editor again"
        )
    return encode(alpha >= 128)


EDITOR_CSS = """
.pb-ed-tools { display: flex; gap: 0.6em; align-items: center; flex-wrap: wrap; margin: 4px 0; }
.pb-ed-tools .pb-size { width: 5em; }
.pb-ed-tools button { border: 1px solid #bbb; border-radius: 4px; padding: 1px 6px; }
.pb-ed-tools button.pb-apply { background: #f97316; color: #fff; font-weight: 600; }
.pb-ed.pb-ed-open { position: fixed; top: 0; left: 0; width: 64vw; height: 100vh; z-index: 900;
  background: #fff; box-shadow: 0 0 12px rgba(0, 0, 0, 0.4); padding: 4px 8px;
  display: flex; flex-direction: column; }
.pb-ed.pb-ed-closed { display: none; }
.pb-ed-view { position: relative; overflow: hidden; flex: 1; min-height: 0; }
.pb-ed-stage { position: relative; display: inline-block; max-width: 100%; line-height: 0;
  transform-origin: 0 0; }
.pb-ed-stage canvas.pb-bg { display: block; max-width: 100%; max-height: calc(100vh - 90px);
  width: auto; height: auto; }
.pb-ed-stage canvas.pb-mask, .pb-ed-stage canvas.pb-guide { position: absolute; left: 0; top: 0;
  width: 100%; height: 100%; touch-action: none; }
.pb-ed-stage canvas.pb-mask { opacity: 0.6; }
.pb-ed-stage canvas.pb-guide { cursor: crosshair; }
.pb-ed[data-tool=pan] canvas.pb-guide { cursor: grab; }
"""

EDITOR_JS = """
const setup = (root) => {
  root.dataset.ready = '1';
  root.classList.add('pb-ed-open');  // over the page, where the image was: no scrolling away
  const W = Number(root.dataset.w), H = Number(root.dataset.h), color = root.dataset.color;
  const bg = root.querySelector('.pb-bg'), mask = root.querySelector('.pb-mask');
  const guide = root.querySelector('.pb-guide'), status = root.querySelector('.pb-ed-status');
  const stage = root.querySelector('.pb-ed-stage'), viewBox = root.querySelector('.pb-ed-view');
  for (const canvas of [bg, mask, guide]) { canvas.width = W; canvas.height = H; }
  const mctx = mask.getContext('2d'), gctx = guide.getContext('2d');
  const initial = new Image();
  let pending = 2;
  const loaded = () => { if (--pending === 0) root.dataset.loaded = '1'; };
  const background = new Image();
  background.onload = () => { bg.getContext('2d').drawImage(background, 0, 0, W, H); loaded(); };
  background.src = root.dataset.bg;
  initial.onload = () => { mctx.drawImage(initial, 0, 0, W, H); loaded(); };
  initial.src = root.dataset.mask;
  const tool = () => root.querySelector('input[name=pb-tool]:checked').value;
  const size = () => Math.max(1, Number(root.querySelector('.pb-size').value) || 1);
  const toPixel = (event) => {
    const box = guide.getBoundingClientRect();
    return [(event.clientX - box.left) * W / box.width, (event.clientY - box.top) * H / box.height];
  };
  // zoom and pan: the stage is transformed; toPixel reads the transformed box, so a stroke
  // still lands on the image pixel under the pointer
  const view = { zoom: 1, x: 0, y: 0 };
  const place = () => {
    stage.style.transform = `translate(${view.x}px, ${view.y}px) scale(${view.zoom})`;
    root.dataset.zoom = String(view.zoom);
  };
  const zoomAt = (factor, cx, cy) => {
    const box = viewBox.getBoundingClientRect();
    const zoom = Math.min(32, Math.max(1, view.zoom * factor));
    const px = cx - box.left, py = cy - box.top;
    view.x = px - (px - view.x) * zoom / view.zoom;
    view.y = py - (py - view.y) * zoom / view.zoom;
    view.zoom = zoom;
    if (zoom === 1) { view.x = 0; view.y = 0; }
    place();
  };
  const zoomCentre = (factor) => {
    const box = viewBox.getBoundingClientRect();
    zoomAt(factor, box.left + box.width / 2, box.top + box.height / 2);
  };
  viewBox.addEventListener('wheel', (event) => {
    event.preventDefault();
    zoomAt(event.deltaY < 0 ? 1.25 : 0.8, event.clientX, event.clientY);
  }, { passive: false });
  root.querySelector('.pb-zoom-in').addEventListener('click', () => zoomCentre(1.5));
  root.querySelector('.pb-zoom-out').addEventListener('click', () => zoomCentre(1 / 1.5));
  root.querySelector('.pb-fit').addEventListener('click', () => {
    view.zoom = 1; view.x = 0; view.y = 0; place();
  });
  // every change is an operation, replayed over the loaded mask on undo
  const ops = [];
  let vertices = [], current = null, panFrom = null, cursor = null;
  const changed = () => { root.dataset.edits = String(Number(root.dataset.edits || 0) + 1); };
  const mode = (erase) => {
    mctx.globalCompositeOperation = erase ? 'destination-out' : 'source-over';
  };
  const segment = (op, from, to) => {
    mode(op.erase);
    mctx.strokeStyle = color; mctx.fillStyle = color;
    mctx.lineWidth = 2 * op.size; mctx.lineCap = 'round'; mctx.lineJoin = 'round';
    if (from[0] === to[0] && from[1] === to[1]) {
      mctx.beginPath(); mctx.arc(to[0], to[1], op.size, 0, 2 * Math.PI); mctx.fill();
    } else {
      mctx.beginPath(); mctx.moveTo(...from); mctx.lineTo(...to); mctx.stroke();
    }
  };
  const fill = (op) => {
    mode(op.erase);
    mctx.fillStyle = color;
    mctx.beginPath(); mctx.moveTo(...op.points[0]);
    for (const point of op.points.slice(1)) mctx.lineTo(...point);
    mctx.closePath(); mctx.fill();
  };
  const apply = (op) => {
    if (op.polygon) { fill(op); return; }
    op.points.forEach((point, i) => segment(op, op.points[Math.max(0, i - 1)], point));
  };
  const undo = () => {
    if (!ops.length) { status.textContent = 'nothing to undo'; return; }
    ops.pop();
    mode(false);
    mctx.clearRect(0, 0, W, H);
    mctx.drawImage(initial, 0, 0, W, H);
    ops.forEach(apply);
    changed();
    status.textContent = ops.length + ' change(s)';
  };
  const showGuide = () => {
    gctx.clearRect(0, 0, W, H);
    const unit = W / guide.getBoundingClientRect().width;
    if (cursor && (tool() === 'brush' || tool() === 'eraser')) {
      // the brush's footprint, visible on any pixels: a black ring under a white one
      for (const [stroke, width] of [['#000', 3], ['#fff', 1.5]]) {
        gctx.strokeStyle = stroke; gctx.lineWidth = width * unit;
        gctx.beginPath(); gctx.arc(cursor[0], cursor[1], size(), 0, 2 * Math.PI); gctx.stroke();
      }
    }
    if (!vertices.length) return;
    gctx.strokeStyle = color; gctx.fillStyle = color; gctx.lineWidth = 2 * unit;
    gctx.beginPath(); gctx.moveTo(...vertices[0]);
    for (const point of vertices.slice(1)) gctx.lineTo(...point);
    gctx.stroke();
    for (const [x, y] of vertices) gctx.fillRect(x - 3 * unit, y - 3 * unit, 6 * unit, 6 * unit);
    status.textContent = vertices.length + ' vertices';
  };
  const closePolygon = () => {
    if (vertices.length >= 3) {
      const op = { polygon: true, points: vertices,
                   erase: root.querySelector('.pb-poly-remove').checked };
      fill(op); ops.push(op); changed();
    }
    vertices = []; showGuide(); status.textContent = '';
  };
  guide.addEventListener('pointerdown', (event) => {
    event.preventDefault();
    if (tool() === 'pan' || event.button === 1) {
      panFrom = [event.clientX - view.x, event.clientY - view.y];
      guide.setPointerCapture(event.pointerId);
      return;
    }
    const point = toPixel(event);
    if (tool() === 'polygon') { vertices.push(point); showGuide(); return; }
    guide.setPointerCapture(event.pointerId);
    current = { erase: tool() === 'eraser', size: size(), points: [point] };
    segment(current, point, point);
    ops.push(current); changed();
  });
  guide.addEventListener('pointermove', (event) => {
    if (panFrom) {
      view.x = event.clientX - panFrom[0]; view.y = event.clientY - panFrom[1]; place();
      return;
    }
    const point = toPixel(event);
    cursor = point;
    if (current) {
      segment(current, current.points[current.points.length - 1], point);
      current.points.push(point); changed();
    }
    showGuide();
  });
  const end = () => { current = null; panFrom = null; };
  guide.addEventListener('pointerup', end);
  guide.addEventListener('pointercancel', end);
  guide.addEventListener('pointerleave', () => { cursor = null; showGuide(); });
  guide.addEventListener('dblclick', (event) => { event.preventDefault(); closePolygon(); });
  root.querySelector('.pb-close').addEventListener('click', closePolygon);
  root.querySelector('.pb-undo').addEventListener('click', undo);
  root.querySelector('.pb-apply').addEventListener('click', () => {
    document.getElementById('apply-mask')?.click();
  });
  root.querySelector('.pb-hide').addEventListener('click', () => {
    root.classList.remove('pb-ed-open'); root.classList.add('pb-ed-closed');
  });
  document.addEventListener('keydown', (event) => {
    if (!root.isConnected || !root.classList.contains('pb-ed-open')) return;
    if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === 'z') {
      event.preventDefault(); undo();
    }
  });
  for (const radio of root.querySelectorAll('input[name=pb-tool]')) {
    radio.addEventListener('change', () => {
      root.dataset.tool = tool(); vertices = []; showGuide();
    });
  }
};
// Gradio may swap the component's element for a new value: watch the document, once
const setupAll = () => {
  document.querySelectorAll('#__ID__ .pb-ed:not([data-ready])').forEach(setup);
};
if (!window.pbEditorWatch) {
  window.pbEditorWatch = new MutationObserver(setupAll);
  window.pbEditorWatch.observe(document.body, { childList: true, subtree: true });
}
setupAll();
""".replace("__ID__", EDITOR_ID)

READ_MASK_JS = """
(...args) => {
  const mask = document.querySelector('#__ID__ .pb-mask');
  args[2] = mask ? mask.toDataURL('image/png') : '';
  if (window.pbKeyGate) window.pbKeyGate.saved();  // the strokes are sent: A / E may act
  return args;
}
""".replace("__ID__", EDITOR_ID)
