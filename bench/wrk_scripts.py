"""The wrk Lua scripts the bench POSTs with, and the phone photo the log POST sends."""

import secrets
from pathlib import Path

VAR = Path(__file__).resolve().parent / "var"


def close_out_script(numbers, csrf, name="close_out", act="close-out", body="note=bench"):
    """A wrk script POSTing one act to a different ticket each time (two threads, interleaved)."""
    path = VAR / f"{name}.lua"
    listing = ",".join(f'"{n}"' for n in numbers)
    path.write_text(
        f"""
local numbers = {{{listing}}}
local counter = 0
local threads = {{}}
setup = function(thread)
  thread:set("offset", #threads)
  table.insert(threads, thread)
end
init = function(args)
  step = 2
end
request = function()
  local index = (counter * step + offset) % #numbers + 1
  counter = counter + 1
  local body = "csrfmiddlewaretoken={csrf}&{body}"
  return wrk.format("POST", "/tickets/" .. numbers[index] .. "/{act}/",
    {{["Content-Type"] = "application/x-www-form-urlencoded", ["Cookie"] = wrk.headers["Cookie"]}}, body)
end
"""
    )
    return path


def log_script(csrf, point, category):
    photo = VAR / "phone.jpg"
    make_photo(photo)
    path = VAR / "log_problem.lua"
    boundary = "----ledgerbench7MA4YWxkTrZu0gW"
    run = secrets.token_hex(6)  # keys of an earlier run on the same database are not reused
    path.write_text(
        f"""
local f = io.open("{photo}", "rb")
local jpeg = f:read("*all")
f:close()
local b = "{boundary}"
local function field(name, value)
  return "--" .. b .. "\\r\\nContent-Disposition: form-data; name=\\"" .. name .. "\\"\\r\\n\\r\\n" .. value .. "\\r\\n"
end
local head = field("csrfmiddlewaretoken", "{csrf}") .. field("point", "{point}") .. field("category", "{category}")
  .. field("description", "bench: 垃圾桶满溢") .. field("place", "")
local tail = "--" .. b .. "\\r\\nContent-Disposition: form-data; name=\\"photos\\"; filename=\\"phone.jpg\\"\\r\\n"
  .. "Content-Type: image/jpeg\\r\\n\\r\\n" .. jpeg .. "\\r\\n--" .. b .. "--\\r\\n"
wrk.method = "POST"
wrk.headers["Content-Type"] = "multipart/form-data; boundary=" .. b
-- Every log is a newly opened form with its own one-time key (the same key twice logs once).
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
end
local sent = 0
function request()
  sent = sent + 1
  local key = string.format("bench-{run}-%03d-%010d", id or 0, sent)
  return wrk.format(nil, nil, nil, head .. field("submission", key) .. tail)
end
"""
    )
    return path


def make_photo(path):
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (2400, 1800), (120, 110, 100))
    draw = ImageDraw.Draw(image)
    import random

    rng = random.Random(3)
    for _ in range(4000):
        x, y = rng.randrange(2400), rng.randrange(1800)
        draw.rectangle(
            [x, y, x + rng.randrange(4, 40), y + rng.randrange(4, 40)],
            fill=(rng.randrange(256), rng.randrange(256), rng.randrange(256)),
        )
    quality = 85
    while True:
        image.save(path, "JPEG", quality=quality)
        if path.stat().st_size <= 330_000 or quality < 30:
            break
        quality -= 5
