"""The engine on Vietnamese prose it was not tuned on: short essays written by hand for this
test (not by contest.essaygen), in ordinary language with their own vocabulary, and the kinds
of copying a secretariat meets: a reordered copy, a copy with its accents stripped, a pasted
paragraph, a quotation of the source article, and unrelated essays on neighbouring topics."""

from __future__ import annotations

import unicodedata

from contest.similarity import Config, Doc, scan
from contest.vntext import strip_diacritics

LANG_QUE = """Quê tôi là một làng nhỏ ven sông Đáy, nơi mùa nước về thường mang theo phù sa và cả những nỗi lo. Ngày trước, người làng chỉ biết trông vào mấy sào ruộng trũng, làm lụng quanh năm mà cái nghèo vẫn đeo đẳng. Con đường đất dẫn ra quốc lộ mỗi khi mưa lại lầy lội, trẻ con đi học phải xắn quần cao quá gối.

Mười năm trở lại đây, làng đã đổi khác. Chương trình xây dựng nông thôn mới về đến thôn, bà con bàn bạc dân chủ trong từng buổi họp, ai có công góp công, ai có của góp của. Con đường bê tông được đổ xong chỉ trong một mùa khô, hai bên trồng hoa mười giờ và cây bàng. Nhà văn hóa thôn sáng đèn mỗi tối, câu lạc bộ dân ca tập hát cho hội làng.

Điều đáng quý nhất không nằm ở con đường hay ngôi nhà văn hóa, mà ở niềm tin của người dân vào chủ trương đúng đắn và vào chính sức mình. Khi có kẻ lên mạng xuyên tạc rằng xây dựng nông thôn mới chỉ là phong trào hình thức, người làng tôi chỉ cần mời họ về một chuyến, đi trên con đường mới, ghé thăm lớp học mẫu giáo có sân chơi, nghe các cụ kể chuyện được khám bệnh miễn phí tại trạm y tế xã.

Tất nhiên vẫn còn những việc chưa làm được. Rác thải sinh hoạt chưa được phân loại đến nơi đến chốn, thanh niên vẫn rời làng đi làm khu công nghiệp, ruộng bỏ hoang có chỗ đã mọc cỏ. Nhưng nhìn thẳng vào khó khăn để sửa, chứ không phủ nhận cả chặng đường, mới là cách nghĩ của người làm chủ."""

MANG_XA_HOI = """Mỗi buổi sáng, chiếc điện thoại trong túi mang đến cho chúng ta hàng trăm mẩu tin. Có tin thật, có tin nửa thật nửa giả, và có cả những tin được dựng lên một cách tinh vi nhằm gieo rắc hoài nghi. Một đoạn video cắt ghép khéo léo có thể lan đi hàng vạn lượt chia sẻ trước khi cơ quan chức năng kịp lên tiếng đính chính.

Các thế lực thù địch hiểu rõ điều đó. Chúng không cần tranh luận công khai, chỉ cần tung ra một câu hỏi gây sốc, một con số bịa đặt, rồi để đám đông tự làm nốt phần việc còn lại. Người đọc thiếu kỹ năng kiểm chứng dễ bị cuốn theo cảm xúc, bấm chia sẻ chỉ vì một tiêu đề giật gân.

Vì thế, bảo vệ nền tảng tư tưởng trên không gian mạng trước hết là nâng cao sức đề kháng của từng người dùng. Trước khi chia sẻ, hãy hỏi: tin này từ đâu, ai là người đưa tin, có nguồn chính thống nào xác nhận hay chưa. Các trường học cần dạy học sinh cách tra cứu, đối chiếu, nhận diện ảnh chế và giọng điệu kích động.

Bên cạnh việc phòng, cần chủ động xây. Những câu chuyện người thật việc thật, những con số thống kê minh bạch, những gương người tốt việc tốt được kể một cách sinh động sẽ có sức lan tỏa mạnh hơn mọi lời phản bác khô khan. Khi thông tin tích cực chiếm lĩnh dòng thời gian, tin giả tự khắc mất đất sống."""

THAY_GIAO = """Thầy giáo dạy văn của tôi năm lớp mười hai có một thói quen lạ: mỗi tiết học đều bắt đầu bằng một bài báo vừa đọc buổi sáng. Thầy đọc chậm, rồi hỏi cả lớp người viết muốn nói gì, dựa vào bằng chứng nào, và có chỗ nào đánh tráo khái niệm. Lúc đầu chúng tôi thấy mất thời gian, về sau mới hiểu đó là bài học quý nhất.

Thầy bảo, một lập luận mạnh không nằm ở giọng văn đanh thép mà ở chỗ nó đứng vững trước câu hỏi phản biện. Muốn bác bỏ một quan điểm sai, phải hiểu nó cho đến nơi đến chốn, trích dẫn đúng lời người ta nói, rồi chỉ ra chỗ hổng bằng sự thật và lẽ phải. Mắng mỏ thì dễ, thuyết phục mới khó.

Nhiều năm sau, khi đọc những bài viết xuyên tạc lịch sử trên mạng, tôi vẫn nhớ cách thầy dạy. Tôi tìm xem tác giả dựa vào tài liệu nào, so với các nguồn lưu trữ chính thức, tra lại ngày tháng và tên người. Phần lớn những luận điệu ấy sụp đổ ngay ở bước kiểm tra đầu tiên, vì chúng được dựng lên từ những mảnh vụn bị cắt khỏi ngữ cảnh.

Người thầy ấy giờ đã nghỉ hưu ở một xã miền núi. Lần về thăm gần nhất, tôi thấy thầy vẫn đọc báo mỗi sáng, vẫn gạch chân những câu hay và những câu sai. Thầy cười bảo, giữ cho đầu óc tỉnh táo cũng là một cách giữ nước."""

BAI_GOC = """Bảo vệ nền tảng tư tưởng của Đảng là nhiệm vụ hệ trọng, sống còn đối với vận mệnh của Đảng và chế độ, là nhiệm vụ của cả hệ thống chính trị, trong đó lực lượng nòng cốt là cán bộ, đảng viên. Phải kiên quyết, kiên trì đấu tranh phản bác các quan điểm sai trái, thù địch, đồng thời tích cực xây dựng, lan tỏa những giá trị tốt đẹp trong đời sống xã hội."""


def _quotation_essay() -> str:
    """An essay of its own that quotes the source article in quotation marks, as expected."""
    return (
        THAY_GIAO.split("\n\n")[0]
        + "\n\n"
        + "Văn kiện đã khẳng định rõ: “"
        + BAI_GOC
        + "” Lời khẳng định ấy nhắc mỗi người cầm bút rằng viết là một cách hành động.\n\n"
        + "\n\n".join(THAY_GIAO.split("\n\n")[1:])
    )


def _docs() -> list[Doc]:
    paragraphs = LANG_QUE.split("\n\n")
    reordered = "\n\n".join([paragraphs[2], paragraphs[0], paragraphs[3], paragraphs[1]])
    stripped = strip_diacritics(LANG_QUE)
    pasted = "\n\n".join(
        MANG_XA_HOI.split("\n\n")[:2] + [paragraphs[2]] + MANG_XA_HOI.split("\n\n")[2:]
    )
    return [
        Doc("lang-que", LANG_QUE),
        Doc("lang-que-dao-doan", reordered),
        Doc("lang-que-khong-dau", stripped),
        Doc("mang-xa-hoi-chep-doan", unicodedata.normalize("NFD", pasted)),
        Doc("thay-giao-trich-dan", _quotation_essay()),
        Doc("mang-xa-hoi-goc", MANG_XA_HOI),
    ]


def _pairs(result):
    return {frozenset((p.a, p.b)): p for p in result.pairs}


def test_handwritten_copies_are_found_and_independent_essays_are_not():
    result = scan(_docs(), [Doc("bai-goc", BAI_GOC)], config=Config())
    pairs = _pairs(result)
    reordered = pairs[frozenset(("lang-que", "lang-que-dao-doan"))]
    assert reordered.kind == "copy" and min(reordered.overlap_a, reordered.overlap_b) > 0.9
    stripped = pairs[frozenset(("lang-que", "lang-que-khong-dau"))]
    assert stripped.kind == "copy" and min(stripped.overlap_a, stripped.overlap_b) > 0.9
    # the pasted paragraph: about a quarter of the essay that took it
    paste = next(p for k, p in pairs.items() if {"mang-xa-hoi-chep-doan"} < k and "lang-que" in k)
    share = paste.overlap_a if paste.a == "mang-xa-hoi-chep-doan" else paste.overlap_b
    assert 0.15 < share < 0.40
    reports = {d.name: d for d in result.documents}
    # the essay quoting the source article in quotation marks is not flagged for it
    quoting = reports["thay-giao-trich-dan"]
    assert quoting.overlap < 0.05 and quoting.quoted > 0.1
    assert not any(p.kind == "copy" and "thay-giao-trich-dan" in (p.a, p.b) for p in result.pairs)
    # the two essays on social media share a theme and a paragraph source, nothing else
    plain = pairs.get(frozenset(("mang-xa-hoi-goc", "lang-que")))
    assert plain is None


def test_handwritten_texts_share_no_stock_false_positive():
    """Three independent essays on neighbouring themes: no pair at all."""
    result = scan([Doc("a", LANG_QUE), Doc("b", MANG_XA_HOI), Doc("c", THAY_GIAO)], config=Config())
    assert result.pairs == []
    assert all(d.overlap == 0 for d in result.documents)
