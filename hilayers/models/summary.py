"""``model.summary()``: one row per layer with its output shape and parameter count."""


def _shape_text(layer, model):
    try:
        if layer is model:
            return str(model.output_shape)
        out = layer.output_shape if layer._calls else "?"
    except AttributeError:
        return "?"
    return str(out)


def print_summary(model, line_length=80, print_fn=None):
    """Print the table of ``model``'s layers and the trainable / non-trainable totals."""
    emit = print_fn or print
    widths = [int(line_length * 0.45), int(line_length * 0.33)]
    widths.append(line_length - sum(widths))

    def row(cells):
        text = ""
        for cell, width in zip(cells, widths):
            cell = str(cell)
            text += (cell if len(cell) < width else cell[:width - 2] + "…").ljust(width)
        emit(text.rstrip())

    emit(f'Model: "{model.name}"')
    emit("_" * line_length)
    row(["Layer (type)", "Output Shape", "Param #"])
    emit("=" * line_length)
    layers = model.layers
    for i, layer in enumerate(layers):
        row([f"{layer.name} ({type(layer).__name__})", _shape_text(layer, model),
             f"{layer.count_params():,}"])
        if i < len(layers) - 1:
            emit("_" * line_length)
    emit("=" * line_length)
    trainable = sum(int(_size(w)) for w in model.trainable_weights)
    total = sum(int(_size(w)) for w in model.weights)
    emit(f"Total params: {total:,}")
    emit(f"Trainable params: {trainable:,}")
    emit(f"Non-trainable params: {total - trainable:,}")
    emit("_" * line_length)


def _size(weight):
    size = 1
    for d in weight.shape:
        size *= d
    return size
