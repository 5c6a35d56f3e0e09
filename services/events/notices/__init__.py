"""The public notice ("niêm yết lấy ý kiến"): approved nominations on public comment, and objections to them."""
